# The product's own wording; see the About page for credits.
# Ids are snake_case and identical in Rust (`l.t("id")`), templates (`{{ t.id }}`) and here.
## Pages of a session: learner, method, about, deep linking, sign-in waits and error pages.

app_name = Binôme
tagline = Peer coaching in pairs, inside your course
hello = Hello
hello_anonymous = Welcome
course = Course
activity = Activity
learner_intro = In this activity you will work with one peer from this course. Each of you will, in turn, coach the other on a real situation from your work.
learner_status_title = Where you stand
learner_status_waiting = Your teaching team has not published the pairs for this course yet. As soon as they do, your partner's name will appear here, with the next step: preparing your situation.
learner_prepare_title = You can already think about
prepare_context = a situation from your work that you would like to move forward, and its context;
prepare_stakeholders = the people involved in it;
prepare_objective = what you would like to change or achieve by the end of the session.
trust_title = What stays between you
trust_text = What you and your partner write in Binôme is seen by the two of you only. Your teaching team sees whether sessions took place, never what was said.
anonymous_note = Your LMS did not say who you are, so Binôme cannot place you in a pair. Ask your teaching team to share the user identity with the tool.
method_title = How a session runs
method_intro = A session lasts 75 to 90 minutes. After a short introduction, the pair plays two rounds: in each, one person is the coachee and brings a situation, the other is the coach. Then the roles swap.
minutes = min
step_introduction = Introduction
step_introduction_text = Each of you says in a few words which situation you bring and what you hope for.
step_sharing = Sharing
step_sharing_text = The coachee describes the situation, the people involved and why it needs to change. The coach listens without speaking.
step_objectives = Objectives
step_objectives_text = Together you agree on where the coachee wants the situation to go, and on what this session should produce.
step_analysis = Analysis
step_analysis_text = The coach asks open questions to understand what happens today, what was tried, and what holds things back.
step_options = Options
step_options_text = The coach helps explore new possibilities, weigh their pros and cons, and picture the ideal outcome.
step_commitments = Commitments
step_commitments_text = The coachee settles on concrete next steps, the obstacles to expect and who or what can help.
role_staff = teaching team
role_learner = learner
about_link = About this method
back = Back
about_title = About this method
about_text = Binôme runs a structured peer-coaching process for pairs of learners who share a training but have no hierarchical link. The process is adapted from the peer-coaching canvas published by the company Actitudes under the Creative Commons Attribution 4.0 licence (CC BY 4.0), as described in a French training-design resource. The wording in Binôme is our own.
about_pairs = Pairs are made of two peers from the same course, with close field realities and no manager-report link. The same pair meets again module after module so that trust can grow.
dl_default_title = Peer-coaching session
dl_returning = Returning to your course…
continue = Continue
login_wait = Connecting to your course…
check_wait = Checking your browser…
new_window_title = Open Binôme in a new window
new_window_text = Your browser keeps Binôme from remembering you inside this page (third-party cookies or storage are blocked). Opening it in its own window solves this.
new_window_button = Open in a new window
error_title = Binôme could not open
error_for_you = What you can do
error_for_you_text = Go back to your course and open the activity again. If this keeps happening, send the details below to your LMS administrator.
error_for_you_setup_text = Opening the activity again will not help: your LMS and Binôme are not set up to work together yet. Tell your teaching team, with the details below; they will pass them on to the LMS administrator.
error_for_admin = For the LMS administrator and the operator of Binôme
error_reason = Reason code
error_id = Error id
not_found = This page does not exist.
session_expired = Your Binôme session has expired or is not valid. Open the activity again from your course.
internal_error = Something went wrong on our side. Try again in a moment.
save = Save
profile_title = Your field context
profile_help = Tick what describes your work: it helps pair you with someone whose reality is close to yours.
profile_closed = The pairs of this activity are published; the field context you chose, which was used to form them, is below.
profile_other = Other
profile_none = You chose none.
declare_title = Hierarchical link (private)
declare_help = If someone in this course is your manager, reports to you, or has another hierarchical link with you, say so: you will not be paired. Nobody else sees this, and the person is never told.
declare_manager = is my manager
declare_report = reports to me
declare_other = other hierarchical link
declare_add = Declare
declare_remove = Remove
partner_title = Your partner
partner_trio = You are in a trio this time: three rounds, so everyone coaches and is coached.
partner_next = Next: prepare your situation (context, people involved, what you want to change), then meet for the session.
colon = :

## Dates and times (UTC: the tool does not know the reader's time zone).
# $month: 1 to 12.
month_short = { $month ->
    [1] Jan
    [2] Feb
    [3] Mar
    [4] Apr
    [5] May
    [6] Jun
    [7] Jul
    [8] Aug
    [9] Sep
    [10] Oct
    [11] Nov
   *[12] Dec
  }
# $day, $year: numbers as text; $month: the text of month_short; $time: hh:mm.
datetime_utc = { $day } { $month } { $year }, { $time } UTC

## Session pages: refusals of a session, forms, paging, names staff and learners see.
forbidden_activity_only = This page belongs to a Binôme activity; open the activity from your course.
form_unreadable = Binôme could not read what this form sent. Reload the page and try again.
form_nul = The form holds a character Binôme cannot store (NUL). Remove it and try again.
form_unknown_action = This page does not offer that action.
form_missing = Please fill in this field: { $field }
name_not_shared = name not shared by the LMS
someone_left = (someone no longer in the course)
module_untitled = an untitled module
reason_split = their group was dissolved by the teaching team
notice_swap_same_group = Nothing changed: these two learners are already in the same group.
notice_declare_exists = You had already declared a link with this person.
notice_removed = Withdrawn.
notice_grades_retried = The refused grades will be sent again in a moment.
event_other = an earlier change
page = Page
page_first = First page
search = Search
declare_search = Find a learner by name
page_previous = Previous
page_next = Next
