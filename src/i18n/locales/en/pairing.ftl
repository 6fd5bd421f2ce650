# The product's own wording; see the About page for credits.
## Pairing wording shown to staff: notes on a pair, CSV upload problems, the history of
## changes, outcome notices and the variants of the "not allowed" page.
##
## Ids and their variables (the same in every language):
##
## Notes on a proposed pair (no variables unless said):
##   note_no_hierarchy, note_new_partner, note_repeat_partner, note_late_joiner,
##   note_orphan_repaired, note_joined_trio, note_trio_reopened, note_changed_by_instructor,
##   note_lock_dropped ($reason: the text of one lock_reason_* message below),
##   lock_reason_size, lock_reason_unknown_learner, lock_reason_unavailable,
##   lock_reason_duplicate, lock_reason_constraint, lock_reason_second_trio,
##   lock_reason_trio_not_needed,
##   pairs_kept_from ($module: the name of the module the pair comes from).
## CSV upload problems: csv_not_two_values, csv_same_person, csv_not_in_roster ($value: the
##   cell as written).
## History of changes, naming people and modules, never internal ids:
##   event_settings ($policy: the text of a policy_* message), event_upload_links ($added,
##   $unused: numbers), event_propose ($groups, $unplaced: numbers), event_swap ($a, $b:
##   names), event_lock ($members), event_unlock ($members), event_split ($members: names,
##   already joined), event_exclude ($a, $b: names), event_publish ($module: name),
##   event_declare (no variables: a learner's declaration is never shown with names).
## Outcome notices: notice_swap_same_person, notice_declare_unknown, notice_declare_limit
##   ($max: number), notice_refused_conflict, notice_refused_constraint,
##   notice_refused_not_placed, notice_refused_unknown_learner, notice_refused_no_draft.
## Not-allowed page: forbidden_not_staff, forbidden_not_manager, forbidden_learner_only,
##   forbidden_deep_link_only.

## Notes on a pair

note_no_hierarchy = no hierarchical link
note_new_partner = new partner
note_repeat_partner = already paired before
note_late_joiner = late joiner
note_orphan_repaired = partner left: re-paired
note_joined_trio = completed as a trio
note_trio_reopened = trio reopened to welcome another learner
note_changed_by_instructor = changed by the teaching team
note_lock_dropped = a lock could not be kept ({ $reason })
lock_reason_size = a locked group must have two or three members
lock_reason_unknown_learner = someone in it is no longer in the roster
lock_reason_unavailable = someone in it is not active in the course
lock_reason_duplicate = someone in it is also in another locked group
lock_reason_constraint = it puts together two people with a hierarchical link
lock_reason_second_trio = only one trio is allowed
lock_reason_trio_not_needed = the trio is no longer needed
pairs_kept_from = kept from { $module }

## CSV upload problems

csv_not_two_values = expected two values separated by a comma
csv_same_person = the two values name the same person
csv_not_in_roster = { $value } is not in the course roster

## History of changes

event_settings = changed the settings: across modules, { $policy }
event_upload_links = uploaded hierarchical links: { $added ->
    [one] one link added
   *[other] { $added } links added
  }, { $unused ->
    [0] every line used
    [one] one line not used
   *[other] { $unused } lines not used
  }
event_propose = proposed pairs: { $groups ->
    [one] one group
   *[other] { $groups } groups
  }, { $unplaced ->
    [0] everyone placed
   *[other] { $unplaced } not placed
  }
event_swap = swapped { $a } and { $b }
event_lock = locked { $members }
event_unlock = unlocked { $members }
event_split = split { $members }
event_exclude = will never pair { $a } and { $b }
event_publish = published the pairs of { $module }
event_declare = a learner declared a hierarchical link

## Outcome notices

notice_swap_same_person = Choose two different learners to swap.
notice_declare_unknown = That person is not a learner of this course.
notice_declare_limit = You can declare up to { $max } hierarchical links.
notice_refused_conflict = Not saved: someone else changed the proposal meanwhile. Here it is as it stands now.
notice_refused_constraint = That change was refused: it breaks a rule the pairs must follow.
notice_refused_not_placed = That change was refused: this learner is in no pair of the proposal.
notice_refused_unknown_learner = That change was refused: this person is not in the course roster.
notice_refused_no_draft = There is no proposal to change or publish: propose pairs first.

## Not-allowed page

forbidden_not_staff = Only the teaching team may do this.
forbidden_not_manager = Your role in this course lets you view this page, not change it (or the LMS no longer lists you with a role that may).
forbidden_learner_only = Only learners of this activity may do this.
forbidden_deep_link_only = This page belongs to adding an activity to a course: open it from the LMS's "add activity" screen.
