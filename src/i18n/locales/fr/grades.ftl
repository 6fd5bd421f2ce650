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
