# Le bloc du carnet de notes de la page des enseignants : ce que la plateforme détient (résultats AGS) à côté de ce qui a été envoyé.
gradebook_title = Le carnet de notes de la plateforme
gradebook_intro = Ce que le carnet de notes de la plateforme détient pour chaque apprenant de cette activité, à côté de ce que Binôme a envoyé. Vérifiez-le pour relire la plateforme.
gradebook_check = Vérifier le carnet de notes
gradebook_checked = Dernière vérification : { $at }.
gradebook_never_checked = Pas encore vérifié.
gradebook_error = La dernière vérification a échoué : { $message }
gradebook_learner = Apprenant
gradebook_ours = Envoyé par Binôme
gradebook_lms = Dans la plateforme
gradebook_result = { $score } / { $maximum }
gradebook_no_result = pas encore de note dans la plateforme
gradebook_nothing_sent = rien d'envoyé pour l'instant
notice_gradebook_read = Le carnet de notes a été lu.
notice_gradebook_failed = Le carnet de notes n'a pas pu être lu ; la réponse de la plateforme figure ci-dessous.
notice_gradebook_no_service = Cette activité n'a pas de service de carnet de notes.
notice_gradebook_not_granted = La plateforme ne permet pas à Binôme de lire son carnet de notes (portée des résultats non accordée).
notice_gradebook_no_lineitem = La plateforme n'a pas encore de colonne de notes pour cette activité : elle est créée à l'envoi de la première note.
# A line item address the LMS gave on a host that is not the platform's (never sent there).
service_foreign_host_grades = La plateforme a donné une adresse de service de notes (AGS) sur l'hôte { $host }, qui n'est pas l'un de ses hôtes : rien n'y a été envoyé, et les notes attendent. Si cet hôte appartient bien à votre plateforme, l'exploitant de l'outil peut l'autoriser avec `binome platform update --id { $registration } --service-host { $host }` ; les notes en attente partent alors.
# A grade's delivery as staff who may not manage read it (no word of the LMS's answer), and a
# waiting grade with the reason of its last try, for staff who may manage.
live_grade_refused = refusé par la plateforme
live_grade_waiting = en attente d'envoi (dernier essai : { $message })
# A score a newer score of the same learner replaced before it was sent (never sent; a
# learner's latest score is never in this state, so staff rarely read it).
live_grade_superseded = remplacée par une note plus récente avant son envoi
