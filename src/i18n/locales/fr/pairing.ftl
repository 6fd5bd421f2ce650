# Les textes du produit sont les nôtres ; voir la page « À propos » pour les crédits.
## Textes du travail sur les binômes montrés à l'équipe : notes sur un binôme, problèmes d'un
## CSV, historique des modifications, avis de résultat et variantes de la page « non autorisé ».
## Les identifiants et leurs variables sont décrits en tête du fichier anglais (en/pairing.ftl).

## Notes sur un binôme

note_no_hierarchy = aucun lien hiérarchique
note_new_partner = nouveau partenaire
note_repeat_partner = déjà en binôme auparavant
note_late_joiner = arrivée tardive
note_orphan_repaired = partenaire parti : nouveau binôme
note_joined_trio = complété en trio
note_trio_reopened = trio rouvert pour accueillir un autre apprenant
note_changed_by_instructor = modifié par l'équipe
note_lock_dropped = un verrouillage n'a pas pu être gardé ({ $reason })
lock_reason_size = un groupe verrouillé doit compter deux ou trois membres
lock_reason_unknown_learner = l'un de ses membres n'est plus dans la liste des participants
lock_reason_unavailable = l'un de ses membres n'est pas actif dans le cours
lock_reason_duplicate = l'un de ses membres est aussi dans un autre groupe verrouillé
lock_reason_constraint = il réunit deux personnes ayant un lien hiérarchique
lock_reason_second_trio = un seul trio est possible
lock_reason_trio_not_needed = le trio n'est plus nécessaire
pairs_kept_from = gardé depuis { $module }

## Problèmes d'un CSV

csv_not_two_values = deux valeurs séparées par une virgule étaient attendues
csv_same_person = les deux valeurs désignent la même personne
csv_not_in_roster = { $value } n'est pas dans la liste des participants du cours

## Historique des modifications

event_settings = a modifié les réglages : d'un module à l'autre, { $policy }
event_upload_links = a déposé des liens hiérarchiques : { $added ->
    [0] aucun lien ajouté
    [one] un lien ajouté
   *[other] { $added } liens ajoutés
  }, { $unused ->
    [0] toutes les lignes retenues
    [one] une ligne non retenue
   *[other] { $unused } lignes non retenues
  }
event_propose = a proposé des binômes : { $groups ->
    [0] aucun groupe
    [one] un groupe
   *[other] { $groups } groupes
  }, { $unplaced ->
    [0] tout le monde est placé
    [one] une personne non placée
   *[other] { $unplaced } personnes non placées
  }
event_swap = a échangé { $a } et { $b }
event_lock = a verrouillé { $members }
event_unlock = a déverrouillé { $members }
event_split = a séparé { $members }
event_exclude = ne mettra jamais ensemble { $a } et { $b }
event_publish = a publié les binômes de { $module }
event_declare = un apprenant a déclaré un lien hiérarchique

## Avis de résultat

notice_swap_same_person = Choisissez deux apprenants différents à échanger.
notice_declare_unknown = Cette personne n'est pas un apprenant de cette formation.
notice_declare_limit = Vous pouvez déclarer jusqu'à { $max } liens hiérarchiques.
notice_refused_conflict = Non enregistré : quelqu'un d'autre a modifié la proposition entre-temps. La voici telle qu'elle est maintenant.
notice_refused_constraint = Cette modification a été refusée : elle enfreint une règle que les binômes doivent respecter.
notice_refused_not_placed = Cette modification a été refusée : cet apprenant n'est dans aucun binôme de la proposition.
notice_refused_unknown_learner = Cette modification a été refusée : cette personne n'est pas dans la liste des participants.
notice_refused_no_draft = Il n'y a aucune proposition à modifier ou publier : proposez d'abord des binômes.

## Page « non autorisé »

forbidden_not_staff = Seule l'équipe pédagogique peut faire cela.
forbidden_not_manager = Votre rôle dans la formation permet de consulter cette page, pas de la modifier (ou la plateforme ne vous inscrit plus avec un rôle qui le permet).
forbidden_learner_only = Seuls les apprenants de cette activité peuvent faire cela.
forbidden_deep_link_only = Cette page sert à ajouter une activité à un cours : ouvrez-la depuis l'écran « ajouter une activité » de la plateforme.
