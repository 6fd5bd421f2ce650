# The product's own wording; see the About page for credits.
# Ids are snake_case and identical in Rust (`l.t("id")`), templates (`{{ t.id }}`) and here.
## Pages d'une session : apprenant, méthode, à propos, sélection de contenu, attentes de connexion et pages d'erreur.

app_name = Binôme
tagline = Le codéveloppement en binôme, au cœur de votre formation
hello = Bonjour
hello_anonymous = Bienvenue
course = Formation
activity = Activité
learner_intro = Dans cette activité, vous travaillez avec un pair de la formation. Chacun à son tour accompagne l'autre sur une situation réelle de son travail.
learner_status_title = Où vous en êtes
learner_status_waiting = L'équipe pédagogique n'a pas encore publié les binômes de cette formation. Dès qu'elle le fera, le nom de votre partenaire apparaîtra ici, avec l'étape suivante : préparer votre situation.
learner_prepare_title = Vous pouvez déjà réfléchir à
prepare_context = une situation de votre travail que vous aimeriez faire évoluer, et son contexte ;
prepare_stakeholders = les personnes concernées ;
prepare_objective = ce que vous voudriez changer ou obtenir à l'issue de la séance.
trust_title = Ce qui reste entre vous
trust_text = Ce que vous écrivez avec votre partenaire dans Binôme n'est visible que par vous deux. L'équipe pédagogique voit si les séances ont eu lieu, jamais leur contenu.
anonymous_note = Votre plateforme n'a pas indiqué qui vous êtes : Binôme ne peut donc pas vous placer dans un binôme. Demandez à l'équipe pédagogique de partager l'identité des utilisateurs avec l'outil.
method_title = Déroulement d'une séance
method_intro = Une séance dure de 75 à 90 minutes. Après une courte introduction, le binôme joue deux tours : dans chacun, l'un apporte une situation, l'autre l'accompagne. Puis les rôles s'inversent.
minutes = min
step_introduction = Introduction
step_introduction_text = Chacun dit en quelques mots quelle situation il apporte et ce qu'il en attend.
step_sharing = Exposé
step_sharing_text = La personne accompagnée décrit la situation, les personnes concernées et ce qui doit changer. Le coach écoute sans intervenir.
step_objectives = Objectifs
step_objectives_text = Ensemble, vous fixez où la personne accompagnée veut amener la situation, et ce que cette séance doit produire.
step_analysis = Analyse
step_analysis_text = Le coach pose des questions ouvertes pour comprendre ce qui se passe aujourd'hui, ce qui a été tenté et ce qui bloque.
step_options = Pistes
step_options_text = Le coach aide à explorer de nouvelles possibilités, à peser leurs avantages et inconvénients, et à imaginer l'issue idéale.
step_commitments = Engagements
step_commitments_text = La personne accompagnée arrête des actions concrètes, les obstacles à prévoir et les appuis sur lesquels compter.
role_staff = équipe pédagogique
role_learner = apprenant
about_link = À propos de la méthode
back = Retour
about_title = À propos de la méthode
about_text = Binôme anime un codéveloppement structuré entre deux apprenants d'une même formation, sans lien hiérarchique entre eux. Le processus est adapté du canevas de coaching entre pairs publié par la société Actitudes sous licence Creative Commons Attribution 4.0 (CC BY 4.0), tel que décrit dans une ressource française d'ingénierie de formation. Les textes de Binôme sont les nôtres.
about_pairs = Un binôme réunit deux pairs de la même formation, aux réalités de terrain proches et sans lien hiérarchique. Le même binôme se retrouve de module en module pour que la confiance s'installe.
dl_default_title = Séance de codéveloppement en binôme
dl_returning = Retour à votre cours…
continue = Continuer
login_wait = Connexion à votre cours…
check_wait = Vérification de votre navigateur…
new_window_title = Ouvrir Binôme dans une nouvelle fenêtre
new_window_text = Votre navigateur empêche Binôme de vous reconnaître dans cette page (cookies ou stockage tiers bloqués). L'ouvrir dans sa propre fenêtre règle le problème.
new_window_button = Ouvrir dans une nouvelle fenêtre
error_title = Binôme n'a pas pu s'ouvrir
error_for_you = Ce que vous pouvez faire
error_for_you_text = Revenez à votre cours et rouvrez l'activité. Si le problème persiste, transmettez les détails ci-dessous à l'administrateur de votre plateforme.
error_for_you_setup_text = Rouvrir l'activité n'y changera rien : votre plateforme et Binôme ne sont pas encore configurés pour fonctionner ensemble. Prévenez votre équipe pédagogique en lui transmettant les détails ci-dessous ; elle les fera suivre à l'administrateur de la plateforme.
error_for_admin = Pour l'administrateur de la plateforme et l'exploitant de Binôme
error_reason = Code de la raison
error_id = Identifiant de l'erreur
not_found = Cette page n'existe pas.
session_expired = Votre session Binôme a expiré ou n'est pas valide. Rouvrez l'activité depuis votre cours.
internal_error = Un problème est survenu de notre côté. Réessayez dans un instant.
save = Enregistrer
profile_title = Votre contexte de terrain
profile_help = Cochez ce qui décrit votre travail : cela aide à vous associer à quelqu'un dont la réalité est proche de la vôtre.
profile_closed = Les binômes de cette activité sont publiés ; le contexte de terrain que vous avez choisi, qui a servi à les former, est rappelé ci-dessous.
profile_other = Autre
profile_none = Vous n'en avez choisi aucun.
declare_title = Lien hiérarchique (privé)
declare_help = Si une personne de la formation est votre responsable, votre collaborateur ou a un autre lien hiérarchique avec vous, indiquez-le : vous ne serez pas mis ensemble. Personne d'autre ne le voit et la personne n'en est jamais informée.
declare_manager = est mon ou ma responsable
declare_report = fait partie de mon équipe
declare_other = autre lien hiérarchique
declare_add = Déclarer
declare_remove = Retirer
partner_title = Votre binôme
partner_trio = Vous êtes en trio cette fois : trois tours, pour que chacun accompagne et soit accompagné.
partner_next = Ensuite : préparez votre situation (contexte, personnes concernées, ce que vous voulez changer), puis retrouvez-vous pour la séance.
colon = {" "}:

## Dates et heures (UTC : l'outil ne connaît pas le fuseau horaire du lecteur).
month_short = { $month ->
    [1] janv.
    [2] févr.
    [3] mars
    [4] avr.
    [5] mai
    [6] juin
    [7] juil.
    [8] août
    [9] sept.
    [10] oct.
    [11] nov.
   *[12] déc.
  }
datetime_utc = { $day } { $month } { $year } à { $time } UTC

## Session pages: refusals of a session, forms, paging, names staff and learners see.
forbidden_activity_only = Cette page appartient à une activité Binôme : ouvrez l'activité depuis votre formation.
form_unreadable = Binôme n'a pas pu lire ce que ce formulaire a envoyé. Rechargez la page et réessayez.
form_nul = Le formulaire contient un caractère que Binôme ne peut pas enregistrer (NUL). Retirez-le et réessayez.
form_unknown_action = Cette page ne propose pas cette action.
form_missing = Merci de remplir ce champ : { $field }
name_not_shared = nom non communiqué par la plateforme
someone_left = (une personne qui n'est plus dans la formation)
module_untitled = un module sans titre
reason_split = leur groupe a été défait par l'équipe pédagogique
notice_swap_same_group = Rien n'a changé : ces deux apprenants sont déjà dans le même groupe.
notice_declare_exists = Vous aviez déjà déclaré un lien avec cette personne.
notice_removed = Retiré.
notice_grades_retried = Les notes refusées seront renvoyées dans un instant.
event_other = une modification antérieure
page = Page
page_first = Première page
search = Rechercher
declare_search = Trouver un apprenant par son nom
page_previous = Précédent
page_next = Suivant
