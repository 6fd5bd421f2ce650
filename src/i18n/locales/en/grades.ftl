# The gradebook block of the staff page: what the LMS holds (AGS results) next to what was sent.
gradebook_title = The LMS gradebook
gradebook_intro = What the LMS gradebook holds for each learner of this activity, next to what Binôme sent. Check it to read the LMS again.
gradebook_check = Check the gradebook
gradebook_checked = Last checked { $at }.
gradebook_never_checked = Not checked yet.
gradebook_error = The last check failed: { $message }
gradebook_learner = Learner
gradebook_ours = Sent by Binôme
gradebook_lms = In the LMS
gradebook_result = { $score } / { $maximum }
gradebook_no_result = no grade in the LMS yet
gradebook_nothing_sent = nothing sent yet
notice_gradebook_read = The gradebook was read.
notice_gradebook_failed = The gradebook could not be read; the platform's answer is below.
notice_gradebook_no_service = This activity has no gradebook service.
notice_gradebook_not_granted = The LMS does not let Binôme read its gradebook (results scope not granted).
notice_gradebook_no_lineitem = The LMS has no grade column for this activity yet: it is made when the first grade is sent.
# A line item address the LMS gave on a host that is not the platform's (never sent there).
service_foreign_host_grades = The LMS gave a gradebook service (AGS) address on host { $host }, which is not one of this platform's hosts: nothing was sent there, and the grades wait. If it really belongs to your LMS, the tool's operator can allow it with `binome platform update --id { $registration } --service-host { $host }`; the waiting grades are then sent.
# A grade's delivery as staff who may not manage read it (no word of the LMS's answer), and a
# waiting grade with the reason of its last try, for staff who may manage.
live_grade_refused = not accepted by the LMS
live_grade_waiting = waiting to be sent (last try: { $message })
# A score a newer score of the same learner replaced before it was sent (never sent; a
# learner's latest score is never in this state, so staff rarely read it).
live_grade_superseded = replaced by a newer grade before it was sent
