# The product's own wording of the live peer-coaching session; see coach_about_credit.
# Ids are listed in crates/coaching/src/prompts.rs. The coach's questions speak to a peer (tu).
## Le cadre de confiance

coach_framework_title = Avant de commencer : ce qui reste entre vous
coach_framework_intro = Le coaching entre pairs ne fonctionne que si chacun peut parler librement. En continuant, vous vous engagez sur deux points.
coach_framework_confidentiality = Confidentialité : ce qui se dit et s'écrit pendant la séance reste au sein de votre groupe. Vous ne le répétez pas ailleurs sans l'accord de la personne concernée.
coach_framework_benevolence = Bienveillance : vous êtes là pour aider l'autre à avancer, pas pour le juger ni pour avoir raison.
coach_framework_staff = L'équipe pédagogique voit si la séance a eu lieu et jusqu'où elle est allée, jamais ce que vous écrivez.
coach_framework_accept = J'accepte ce cadre

## La préparation, seul, avant la séance

coach_prep_title = Préparer votre situation
coach_prep_intro = Prenez quelques minutes, seul, pour choisir une situation réelle de votre travail que vous aimeriez faire avancer. Plus elle sera claire avant la séance, plus vous irez loin pendant.
coach_prep_situation_hint = Quelle est la situation, en quelques phrases ?
coach_prep_context_hint = Dans quel contexte s'inscrit-elle : où, depuis quand, avec quelles contraintes ?
coach_prep_stakeholders_hint = Qui est impliqué ou touché, et de quelle manière ?
coach_prep_desired_change_hint = Que voudriez-vous changer ou obtenir grâce à cette séance ?
coach_prep_visibility = Votre partenaire verra votre préparation au début de la séance, pas avant.
coach_prep_done = Ma préparation est prête

## Étape 0 : introduction (tout le monde, une fois)

coach_intro_all = À tour de rôle, présentez en deux ou trois phrases la situation que vous apportez et ce que vous attendez de la séance.
coach_intro_all_brief = Restez brefs : chacun aura un tour entier pour entrer dans le détail.

## Étape 1 : exposé

coach_sharing_coachee = Décrivez votre situation en détail : son contexte, les personnes concernées et ce qui est en jeu pour vous.
coach_sharing_coachee_why = Dites pourquoi, à vos yeux, cette situation doit changer.
coach_sharing_coach = Laissez la personne accompagnée aller au bout de son récit. Notez dans votre bloc-notes ce sur quoi vous voudrez revenir.
coach_sharing_observer = Observez comment le coach écoute : son attention, les silences, l'envie éventuelle d'intervenir.

## Étape 2 : objectifs

coach_objectives_coachee_global = Votre objectif global : comment aimeriez-vous que cette situation évolue ?
coach_objectives_coachee_session = Votre objectif pour cette séance : quel résultat intermédiaire vous aiderait à vous en rapprocher dès aujourd'hui ?
coach_objectives_example_title = Par exemple, pour un projet de formation :
coach_objectives_example_global = Objectif global : cadrer la demande de formation en tenant compte de tout le système qui l'entoure.
coach_objectives_example_session = Objectif de la séance : trouver des moyens de repérer plus finement les personnes que la formation va toucher.
coach_objectives_coach = Aidez la personne accompagnée à formuler les deux objectifs avec ses propres mots. Vérifiez que l'objectif de la séance peut être atteint aujourd'hui.
coach_objectives_observer = Relevez si les objectifs sont clairs et s'ils appartiennent vraiment à la personne accompagnée.

## Étape 3 : analyse

coach_analysis_coachee = Répondez aussi concrètement que possible. Notez ce qui s'éclaire au fil des questions.
coach_analysis_coach = Posez des questions ouvertes pour examiner la situation de plus près. Suivez le raisonnement de la personne accompagnée plutôt que vos propres idées.
coach_analysis_q_now = Raconte-moi ce qui se passe aujourd'hui, le plus concrètement possible.
coach_analysis_q_tried = Qu'as-tu déjà essayé ? Qu'est-ce que cela a donné ?
coach_analysis_q_thinking = Où en est ta réflexion à ce stade ?
coach_analysis_q_blocking = Qu'est-ce qui te retient d'agir ?
coach_analysis_q_unblock = À quelles conditions les choses pourraient-elles commencer à bouger ?
coach_analysis_observer = Relevez les questions qui ouvrent la réflexion de la personne accompagnée et celles qui la referment.

## Étape 4 : pistes

coach_options_coachee = Listez les pistes que vous voyez, chacune avec ses avantages et ses inconvénients. Puis nommez la piste idéale et ce qu'elle demanderait.
coach_options_coach = Aidez la personne accompagnée à trouver des pistes nouvelles, différentes de ce qui a déjà été tenté. Laissez-la les trouver elle-même plutôt que de proposer les vôtres.
coach_options_q_options = Quelles possibilités vois-tu, y compris celles que tu as écartées ?
coach_options_q_pros_cons = Pour chacune, qu'est-ce qu'elle t'apporterait, et qu'est-ce qu'elle te coûterait ?
coach_options_q_ideal = Si rien ne te retenait, que ferais-tu ?
coach_options_q_needs = De quoi aurais-tu besoin pour y parvenir ?
coach_options_observer = Relevez si les pistes viennent de la personne accompagnée ou du coach.

## Étape 5 : engagements

coach_commitments_coachee = Notez des actions concrètes avec une date, les obstacles que vous prévoyez et la façon de les franchir, ainsi que les personnes et les moyens sur lesquels compter.
coach_commitments_coach = Aidez la personne accompagnée à traduire la piste choisie en actions auxquelles elle s'engage.
coach_commitments_q_actions = Par quoi vas-tu commencer, et pour quand ?
coach_commitments_q_obstacles = Qu'est-ce qui pourrait te freiner en chemin, et comment t'y prendras-tu ?
coach_commitments_q_resources = Qui pourrait t'aider, et de quels moyens disposes-tu ?
coach_commitments_observer = Relevez si les engagements sont concrets, datés et choisis par la personne accompagnée.

## La posture du coach

coach_posture_listen = Écoutez sans parler : ni question ni conseil pour l'instant.
coach_posture_open_questions = Posez des questions ouvertes, auxquelles on ne peut pas répondre par oui ou par non.
coach_posture_reformulate = Reformulez ce que vous avez entendu, pour vérifier votre compréhension et permettre à la personne de s'entendre.
coach_posture_ambiguous = Quand un point reste flou ou ambigu, interrogez-le plutôt que de deviner.

## Clôture

coach_closing_title = Clôture
coach_closing_takeaway = Chacun note ce qu'il retire de cette séance.
coach_closing_commitments = Voici les engagements pris à chaque tour. Vous y reviendrez lors de votre prochaine séance.
coach_closing_feedback = Dites-vous ce qui vous a le plus aidé dans la façon dont vous avez été accompagné.
coach_closing_observer_feedback = En tant qu'observateurs, partagez ce que vous avez remarqué pendant le tour que vous avez suivi : un point qui a aidé, un point à essayer la prochaine fois.
coach_closing_observer_facts = Décrivez ce que vous avez vu et entendu, pas la personne.
coach_closing_next = Vous pouvez continuer à vous retrouver ainsi en autonomie après la formation.

## Rôles et écran de séance

coach_role_coachee = Personne accompagnée
coach_role_coach = Coach
coach_role_observer = Observateur
# $round : le tour en cours ; $rounds : le nombre de tours de la séance.
coach_round_title = Tour { $round } sur { $rounds }
coach_timer_remaining = Temps restant
# $minutes : minutes entières au-delà du temps prévu.
coach_timer_overtime = { $minutes ->
    [one] Une minute de plus que prévu
   *[other] { $minutes } minutes de plus que prévu
}
coach_timer_paused = Minuteur en pause
coach_scratchpad_private = Vous seul verrez ce bloc-notes.
coach_waiting_for_coach = Le coach du tour suivant l'ouvre quand vous êtes prêts.
coach_round_ended = Ce tour est terminé.
coach_abandoned = Cette séance a été arrêtée avant la fin.
coach_completed = Séance terminée. Merci à vous.

## Libellés des champs

coach_field_prep_situation = Ma situation
coach_field_prep_context = Son contexte
coach_field_prep_stakeholders = Les personnes concernées
coach_field_prep_desired_change = Ce que je veux changer ou obtenir
coach_field_sharing_notes = La situation
coach_field_global_objective = Objectif global
coach_field_session_objective = Objectif de la séance
coach_field_analysis_notes = Notes d'analyse
coach_field_options = Pistes
coach_field_ideal_option = La piste idéale
coach_field_ideal_option_needs = Ce qu'elle demande
coach_field_actions = Actions
coach_field_obstacles = Obstacles
coach_field_resources_people = Les personnes qui peuvent aider
coach_field_resources_material = Les moyens matériels
coach_field_coach_scratchpad = Mon bloc-notes (privé)
coach_field_observer_notes = Mes observations
coach_field_takeaway = Ce que je retiens
coach_field_check_in = Mon point sur les engagements de la dernière fois
coach_field_meeting_link = Où nous nous retrouvons en ligne (lien)
coach_field_meeting_date = Quand nous nous retrouvons
coach_item_option = Piste
coach_item_pros = Avantages
coach_item_cons = Inconvénients
coach_item_action = Action
coach_item_due = Pour le
coach_item_obstacle = Obstacle
coach_item_overcome = Comment le franchir
coach_item_add = Ajouter
coach_item_remove = Retirer

## À propos de la méthode

coach_about_title = À propos de la méthode
coach_about_text = Une séance suit un déroulé fixe : une courte introduction, puis un tour par membre. À chaque tour, une personne apporte une situation et une autre l'accompagne, de l'exposé aux objectifs, à l'analyse, aux pistes et aux engagements. Les durées sont des repères, pas des limites.
coach_about_credit = Le processus est adapté, dans une ressource française d'ingénierie de formation, du canevas de coaching entre pairs de la société Actitudes, publié sous licence Creative Commons Attribution 4.0 (CC BY 4.0). Les textes de Binôme sont les nôtres.
