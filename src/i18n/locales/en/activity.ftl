## The activity configuration form (deep linking, first staff launch, later edits), and the
## page learners see before it is filled in.
## Variables: cfg_problem_too_long ($field: a label, $max: characters), cfg_problem_minutes
##   ($step: a step's name, $min, $max: minutes), cfg_problem_points ($max: points),
##   cfg_problem_choice ($field: a label), cfg_step_hint ($min, $max: minutes),
##   cfg_step_hint_one ($minutes: the one suggested duration).

cfg_heading_add = Add a peer-coaching activity
cfg_heading_first = Set up this peer-coaching activity
cfg_heading_edit = Activity settings
cfg_intro_add = Describe this activity for your learners and choose how it runs. Everything can be changed later from the activity itself.
cfg_intro_first = This activity was added without its settings. Choose how it runs; learners can open it as soon as you save.
cfg_intro_edit = Change how this activity runs.
cfg_applies = Changes apply to sessions that have not begun yet; a session under way keeps the durations it started with.
cfg_not_staff = Only the teaching team can add or set up Binôme activities.
cfg_cannot_add = This LMS asked for a kind of content Binôme does not provide: Binôme adds activities (LTI resource links) only.
cfg_problems = The settings were not saved. Please correct the following:
cfg_field_title = Title
cfg_field_instructions = Instructions for learners
cfg_hint_instructions = Shown to learners on the activity page and while they prepare. Optional.
cfg_legend_module = Module of the training
cfg_field_module_number = Module number
cfg_field_module_name = Module name
cfg_field_policy = How pairs are formed for this module
cfg_policy_keep = Keep the pairs of earlier modules (recommended)
cfg_policy_new = New partners: nobody meets someone they were paired with before
cfg_policy_free = No preference
cfg_field_tags = Field contexts learners choose from
cfg_hint_tags = One per line, for instance a sector or a kind of workplace. Learners with close contexts are paired first. Shared by every activity of the course.
cfg_legend_timings = Step durations (minutes)
cfg_hint_timings = The method suggests a range for each step; the timer only informs, it never stops a pair.
cfg_step_hint = suggested: { $min } to { $max } minutes
cfg_step_hint_one = suggested: { $minutes } { $minutes ->
    [one] minute
   *[other] minutes
}
cfg_field_mode = How pairs meet
cfg_mode_in_person = In person
cfg_mode_remote = Remotely, by video call (the pair shares a meeting link)
cfg_mode_either = Either: each pair decides
cfg_field_language = Language of the activity
cfg_language_lms = Follow each person's LMS language
cfg_language_en = English for everyone
cfg_language_fr = French for everyone
cfg_legend_grading = Gradebook
cfg_field_points = Points for the activity
cfg_field_preparation_points = Points for the preparation alone
cfg_hint_preparation_points = Given as soon as a learner finishes preparing; completing the guided session earns all the points. 0 for none.
cfg_no_lineitem = This LMS did not offer a gradebook column here; you can add one from the LMS.
cfg_submit_add = Add to the course
cfg_submit = Save the settings
cfg_problem_too_long = { $field }: at most { $max } characters.
cfg_problem_module_number = Module number: a whole number from 1 to 99, or empty.
cfg_problem_minutes = { $step }: a whole number of minutes from { $min } to { $max }.
cfg_problem_points = Points for the activity: a whole number from 1 to { $max }.
cfg_problem_preparation_points = Points for the preparation alone: a whole number below the activity's points.
cfg_problem_choice = { $field }: choose one of the options offered.
cfg_edit_link = Activity settings
notice_config_saved = The activity settings are saved.
not_set_up_title = This activity is not ready yet
not_set_up_body = Your teaching team has not finished setting up this peer-coaching activity.
not_set_up_later = Come back to it from your course a little later; nothing is lost in the meantime.
forbidden_deep_link_kind = This LMS asked for a kind of content Binôme does not provide: Binôme adds activities (LTI resource links) only.
forbidden_too_many_drafts = This course already holds the largest number of activities being added that it may. Open the activities already added once from the course, then try again.
module_label = Module { $number }
live_meeting_hint_in_person = Agree on where and when you meet.
live_instructions_title = From your teaching team
