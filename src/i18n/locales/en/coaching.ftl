# The product's own wording of the live peer-coaching session; see coach_about_credit.
# Ids are listed in crates/coaching/src/prompts.rs. The coach's questions speak to a peer.
## The trust framework

coach_framework_title = Before you start: what stays between you
coach_framework_intro = Peer coaching only works if each of you can speak freely. By going on, you agree to two things.
coach_framework_confidentiality = Confidentiality: what is said and written in this session stays within your group. You do not repeat it elsewhere without the person's consent.
coach_framework_benevolence = Benevolence: you are here to help the other person move forward, not to judge them or to prove a point.
coach_framework_staff = Your teaching team sees whether the session took place and how far it went, never what you write.
coach_framework_accept = I accept this framework

## Preparation, alone, before the session

coach_prep_title = Prepare your situation
coach_prep_intro = Take a few minutes on your own to choose a real situation from your work that you would like to move forward. The clearer it is before the session, the further you will get during it.
coach_prep_situation_hint = What is the situation, in a few sentences?
coach_prep_context_hint = What is its background: where, since when, under which constraints?
coach_prep_stakeholders_hint = Who is involved or affected, and how?
coach_prep_desired_change_hint = What would you like to change or achieve thanks to this session?
coach_prep_visibility = Your partner will see your preparation once the session begins, not before.
coach_prep_done = My preparation is ready

## Step 0: introduction (everyone, once)

coach_intro_all = Each in turn, present in two or three sentences the situation you are bringing and what you hope to get out of the session.
coach_intro_all_brief = Keep it short: each of you will have a whole round to go into detail.

## Step 1: sharing

coach_sharing_coachee = Describe your situation in detail: its background, the people involved and what is at stake for you.
coach_sharing_coachee_why = Say why, in your view, this situation needs to change.
coach_sharing_coach = Let the coachee go through their whole story. Write down in your scratchpad what you want to come back to later.
coach_sharing_observer = Watch how the coach listens: attention, silences, any urge to step in.

## Step 2: objectives

coach_objectives_coachee_global = Your global objective: how would you like this situation to evolve?
coach_objectives_coachee_session = Your objective for this session: which intermediate result would help you get there today?
coach_objectives_example_title = For example, on a training project:
coach_objectives_example_global = Global objective: frame the training request with the whole system around it in mind.
coach_objectives_example_session = Session objective: find ways to map more precisely the people the training will affect.
coach_objectives_coach = Help the coachee put both objectives into words that are their own. Check that the session objective can be reached today.
coach_objectives_observer = Notice whether the objectives are clear and whether they really belong to the coachee.

## Step 3: analysis

coach_analysis_coachee = Answer as concretely as you can. Note what becomes clearer as you go.
coach_analysis_coach = Ask open questions to look at the situation more closely. Follow the coachee's thinking rather than your own ideas.
coach_analysis_q_now = Take me through what happens today, as concretely as you can.
coach_analysis_q_tried = What have you already tried? What came of it?
coach_analysis_q_thinking = Where does your thinking stand at this point?
coach_analysis_q_blocking = What keeps you from acting?
coach_analysis_q_unblock = Under what conditions could things start to move?
coach_analysis_observer = Notice which questions open up the coachee's thinking and which ones close it down.

## Step 4: options

coach_options_coachee = List the options you see, each with its pros and cons. Then name the ideal option and what it would take.
coach_options_coach = Help the coachee find new ways forward, different from what has been tried. Let them come up with the options; do not hand yours over.
coach_options_q_options = Which possibilities do you see, including the ones you set aside?
coach_options_q_pros_cons = For each of them, what would it bring you, and what would it cost you?
coach_options_q_ideal = If nothing held you back, what would you do?
coach_options_q_needs = What would you need to make that happen?
coach_options_observer = Notice whether the options come from the coachee or from the coach.

## Step 5: commitments

coach_commitments_coachee = Write down concrete actions with a date, the obstacles you expect and how you will get past them, and the people and means you can rely on.
coach_commitments_coach = Help the coachee turn the chosen option into actions they commit to.
coach_commitments_q_actions = What will you do first, and by when?
coach_commitments_q_obstacles = What could get in your way, and how will you deal with it?
coach_commitments_q_resources = Who could help you, and what means can you count on?
coach_commitments_observer = Notice whether the commitments are concrete, dated and chosen by the coachee.

## The coach's posture

coach_posture_listen = Listen without speaking: no questions, no advice for now.
coach_posture_open_questions = Ask open questions, ones that cannot be answered with yes or no.
coach_posture_reformulate = Reformulate what you heard, to check you understood and to let the coachee hear it.
coach_posture_ambiguous = When something is vague or ambiguous, ask about it rather than guess.

## Closing

coach_closing_title = Closing
coach_closing_takeaway = Each of you writes down what you take away from this session.
coach_closing_commitments = Here are the commitments made in each round. You will come back to them at your next session.
coach_closing_feedback = Tell each other what helped you most in the way you were coached.
coach_closing_observer_feedback = As observers, share what you noticed during the round you watched: something that helped, something to try next time.
coach_closing_observer_facts = Describe what you saw and heard, not the person.
coach_closing_next = You can keep meeting this way on your own after the training.

## Roles and session screen

coach_role_coachee = Coachee
coach_role_coach = Coach
coach_role_observer = Observer
# $round: the round under way; $rounds: how many rounds the session has.
coach_round_title = Round { $round } of { $rounds }
coach_timer_remaining = Time left
# $minutes: whole minutes past the planned time.
coach_timer_overtime = { $minutes ->
    [one] One minute over the planned time
   *[other] { $minutes } minutes over the planned time
}
coach_timer_paused = Timer paused
coach_scratchpad_private = Only you will ever see this scratchpad.
coach_waiting_for_coach = The coach of the next round opens it when you are ready.
coach_round_ended = This round is over.
coach_abandoned = This session was stopped before its end.
coach_completed = Session completed. Thank you both.

## Field labels

coach_field_prep_situation = My situation
coach_field_prep_context = Its context
coach_field_prep_stakeholders = The people involved
coach_field_prep_desired_change = What I want to change or achieve
coach_field_sharing_notes = The situation
coach_field_global_objective = Global objective
coach_field_session_objective = Session objective
coach_field_analysis_notes = Analysis notes
coach_field_options = Options
coach_field_ideal_option = The ideal option
coach_field_ideal_option_needs = What it needs
coach_field_actions = Actions
coach_field_obstacles = Obstacles
coach_field_resources_people = People who can help
coach_field_resources_material = Material resources
coach_field_coach_scratchpad = My scratchpad (private)
coach_field_observer_notes = My observations
coach_field_takeaway = What I take away
coach_field_check_in = My check-in on last time's commitments
coach_field_meeting_link = Where we meet online (link)
coach_field_meeting_date = When we meet
coach_item_option = Option
coach_item_pros = Pros
coach_item_cons = Cons
coach_item_action = Action
coach_item_due = By
coach_item_obstacle = Obstacle
coach_item_overcome = How to get past it
coach_item_add = Add
coach_item_remove = Remove

## About this method

coach_about_title = About this method
coach_about_text = A session follows a set sequence: a short introduction, then one round per member. In each round one person brings a situation and another coaches them through sharing, objectives, analysis, options and commitments. The timings are a guide, not a limit.
coach_about_credit = The process is adapted, in a French training-design resource, from the peer-coaching canvas by the company Actitudes, published under the Creative Commons Attribution 4.0 licence (CC BY 4.0). The wording in Binôme is our own.
