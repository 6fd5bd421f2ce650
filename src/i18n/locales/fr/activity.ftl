## Le formulaire de paramétrage d'une activité (lien profond, premier lancement par
## l'équipe, modifications), et la page des apprenants avant qu'il soit rempli.
## Variables : cfg_problem_too_long ($field : un libellé, $max : caractères),
##   cfg_problem_minutes ($step : le nom d'une étape, $min, $max : minutes),
##   cfg_problem_points ($max : points), cfg_problem_choice ($field : un libellé),
##   cfg_step_hint ($min, $max : minutes), cfg_step_hint_one ($minutes : la durée suggérée).

cfg_heading_add = Ajouter une activité de codéveloppement
cfg_heading_first = Paramétrer cette activité de codéveloppement
cfg_heading_edit = Paramètres de l'activité
cfg_intro_add = Présentez l'activité à vos apprenants et choisissez son déroulement. Tout reste modifiable ensuite depuis l'activité.
cfg_intro_first = Cette activité a été ajoutée sans ses paramètres. Choisissez son déroulement : les apprenants pourront l'ouvrir dès l'enregistrement.
cfg_intro_edit = Modifiez le déroulement de cette activité.
cfg_applies = Les modifications valent pour les séances pas encore commencées ; une séance en cours garde les durées de son début.
cfg_not_staff = Seule l'équipe pédagogique peut ajouter ou paramétrer des activités Binôme.
cfg_cannot_add = La plateforme demande un type de contenu que Binôme ne fournit pas : Binôme n'ajoute que des activités (liens de ressource LTI).
cfg_problems = Les paramètres n'ont pas été enregistrés. Merci de corriger :
cfg_field_title = Titre
cfg_field_instructions = Consignes pour les apprenants
cfg_hint_instructions = Affichées aux apprenants sur la page de l'activité et pendant leur préparation. Facultatif.
cfg_legend_module = Module de la formation
cfg_field_module_number = Numéro du module
cfg_field_module_name = Nom du module
cfg_field_policy = Formation des binômes pour ce module
cfg_policy_keep = Garder les binômes des modules précédents (conseillé)
cfg_policy_new = Nouveaux partenaires : personne ne retrouve un ancien binôme
cfg_policy_free = Sans préférence
cfg_field_tags = Contextes de terrain proposés aux apprenants
cfg_hint_tags = Un par ligne, par exemple un secteur ou un type de structure. Les apprenants aux contextes proches sont associés en priorité. Commun à toutes les activités du cours.
cfg_legend_timings = Durée des étapes (minutes)
cfg_hint_timings = La méthode propose une fourchette pour chaque étape ; le minuteur informe, il n'interrompt jamais un binôme.
cfg_step_hint = suggéré : { $min } à { $max } minutes
cfg_step_hint_one = suggéré : { $minutes } { $minutes ->
    [one] minute
   *[other] minutes
}
cfg_field_mode = Modalité des rencontres
cfg_mode_in_person = En présentiel
cfg_mode_remote = À distance, en visioconférence (le binôme partage un lien de réunion)
cfg_mode_either = Au choix de chaque binôme
cfg_field_language = Langue de l'activité
cfg_language_lms = Suivre la langue de chacun sur la plateforme
cfg_language_en = Anglais pour tous
cfg_language_fr = Français pour tous
cfg_legend_grading = Carnet de notes
cfg_field_points = Points de l'activité
cfg_field_preparation_points = Points pour la seule préparation
cfg_hint_preparation_points = Attribués dès qu'un apprenant termine sa préparation ; la séance guidée terminée rapporte tous les points. 0 pour aucun.
cfg_no_lineitem = La plateforme n'a pas proposé de colonne de notes ici ; vous pouvez en ajouter une depuis la plateforme.
cfg_submit_add = Ajouter au cours
cfg_submit = Enregistrer les paramètres
cfg_problem_too_long = { $field } : { $max } caractères au plus.
cfg_problem_module_number = Numéro du module : un nombre entier de 1 à 99, ou vide.
cfg_problem_minutes = { $step } : un nombre entier de minutes de { $min } à { $max }.
cfg_problem_points = Points de l'activité : un nombre entier de 1 à { $max }.
cfg_problem_preparation_points = Points pour la seule préparation : un nombre entier inférieur aux points de l'activité.
cfg_problem_choice = { $field } : choisissez l'une des options proposées.
cfg_edit_link = Paramètres de l'activité
notice_config_saved = Les paramètres de l'activité sont enregistrés.
not_set_up_title = Cette activité n'est pas encore prête
not_set_up_body = Votre équipe pédagogique n'a pas terminé le paramétrage de cette activité de codéveloppement.
not_set_up_later = Revenez-y depuis votre cours un peu plus tard ; rien n'est perdu entre-temps.
forbidden_deep_link_kind = La plateforme demande un type de contenu que Binôme ne fournit pas : Binôme n'ajoute que des activités (liens de ressource LTI).
forbidden_too_many_drafts = Ce cours contient déjà le nombre maximal d'activités en cours d'ajout. Ouvrez une fois depuis le cours les activités déjà ajoutées, puis réessayez.
module_label = Module { $number }
live_meeting_hint_in_person = Convenez du lieu et de l'heure de votre rencontre.
live_instructions_title = De la part de votre équipe pédagogique
