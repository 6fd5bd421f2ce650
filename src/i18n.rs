//! The product's wording in French and English. The LMS decides the language: the launch's
//! `launch_presentation.locale`, else the browser's `Accept-Language`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A language the interface speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "fr")]
    Fr,
}

impl Locale {
    /// From an LMS locale such as `fr`, `fr-FR`, `fr_CA` or `en-US`; English otherwise.
    pub fn from_tag(tag: Option<&str>) -> Locale {
        match tag.map(|t| t.trim().to_ascii_lowercase()) {
            Some(t) if t == "fr" || t.starts_with("fr-") || t.starts_with("fr_") => Locale::Fr,
            _ => Locale::En,
        }
    }

    /// From an `Accept-Language` header: the first of French or English listed.
    pub fn from_accept_language(header: Option<&str>) -> Locale {
        let Some(h) = header else { return Locale::En };
        for part in h.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("fr") {
                return Locale::Fr;
            }
            if tag.starts_with("en") {
                return Locale::En;
            }
        }
        Locale::En
    }

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    /// The catalogue of this language.
    pub fn texts(self) -> &'static BTreeMap<&'static str, &'static str> {
        static EN: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
        static FR: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
        match self {
            Locale::En => EN.get_or_init(|| TEXTS.iter().map(|(k, en, _)| (*k, *en)).collect()),
            Locale::Fr => FR.get_or_init(|| TEXTS.iter().map(|(k, _, fr)| (*k, *fr)).collect()),
        }
    }

    /// One text; the key itself when missing, so a gap shows rather than breaks a page.
    pub fn t(self, key: &'static str) -> &'static str {
        self.texts().get(key).copied().unwrap_or(key)
    }
}

/// (key, English, French). Our own wording of the method; see the "About" page for credits.
const TEXTS: &[(&str, &str, &str)] = &[
    ("app_name", "Binôme", "Binôme"),
    (
        "tagline",
        "Peer coaching in pairs, inside your course",
        "Le codéveloppement en binôme, au cœur de votre formation",
    ),
    ("hello", "Hello", "Bonjour"),
    ("hello_anonymous", "Welcome", "Bienvenue"),
    ("course", "Course", "Formation"),
    ("activity", "Activity", "Activité"),
    (
        "learner_intro",
        "In this activity you will work with one peer from this course. Each of you will, in turn, coach the other on a real situation from your work.",
        "Dans cette activité, vous travaillez avec un pair de la formation. Chacun à son tour accompagne l'autre sur une situation réelle de son travail.",
    ),
    ("learner_status_title", "Where you stand", "Où vous en êtes"),
    (
        "learner_status_waiting",
        "Your teaching team has not published the pairs for this course yet. As soon as they do, your partner's name will appear here, with the next step: preparing your situation.",
        "L'équipe pédagogique n'a pas encore publié les binômes de cette formation. Dès qu'elle le fera, le nom de votre partenaire apparaîtra ici, avec l'étape suivante : préparer votre situation.",
    ),
    (
        "learner_prepare_title",
        "You can already think about",
        "Vous pouvez déjà réfléchir à",
    ),
    (
        "prepare_context",
        "a situation from your work that you would like to move forward, and its context;",
        "une situation de votre travail que vous aimeriez faire évoluer, et son contexte ;",
    ),
    (
        "prepare_stakeholders",
        "the people involved in it;",
        "les personnes concernées ;",
    ),
    (
        "prepare_objective",
        "what you would like to change or achieve by the end of the session.",
        "ce que vous voudriez changer ou obtenir à l'issue de la séance.",
    ),
    (
        "trust_title",
        "What stays between you",
        "Ce qui reste entre vous",
    ),
    (
        "trust_text",
        "What you and your partner write in Binôme is seen by the two of you only. Your teaching team sees whether sessions took place, never what was said.",
        "Ce que vous écrivez avec votre partenaire dans Binôme n'est visible que par vous deux. L'équipe pédagogique voit si les séances ont eu lieu, jamais leur contenu.",
    ),
    (
        "anonymous_note",
        "Your LMS did not say who you are, so Binôme cannot place you in a pair. Ask your teaching team to share the user identity with the tool.",
        "Votre plateforme n'a pas indiqué qui vous êtes : Binôme ne peut donc pas vous placer dans un binôme. Demandez à l'équipe pédagogique de partager l'identité des utilisateurs avec l'outil.",
    ),
    (
        "method_title",
        "How a session runs",
        "Déroulement d'une séance",
    ),
    (
        "method_intro",
        "A session lasts 75 to 90 minutes. After a short introduction, the pair plays two rounds: in each, one person is the coachee and brings a situation, the other is the coach. Then the roles swap.",
        "Une séance dure de 75 à 90 minutes. Après une courte introduction, le binôme joue deux tours : dans chacun, l'un apporte une situation, l'autre l'accompagne. Puis les rôles s'inversent.",
    ),
    ("minutes", "min", "min"),
    ("step_introduction", "Introduction", "Introduction"),
    (
        "step_introduction_text",
        "Each of you says in a few words which situation you bring and what you hope for.",
        "Chacun dit en quelques mots quelle situation il apporte et ce qu'il en attend.",
    ),
    ("step_sharing", "Sharing", "Exposé"),
    (
        "step_sharing_text",
        "The coachee describes the situation, the people involved and why it needs to change. The coach listens without speaking.",
        "La personne accompagnée décrit la situation, les personnes concernées et ce qui doit changer. Le coach écoute sans intervenir.",
    ),
    ("step_objectives", "Objectives", "Objectifs"),
    (
        "step_objectives_text",
        "Together you agree on where the coachee wants the situation to go, and on what this session should produce.",
        "Ensemble, vous fixez où la personne accompagnée veut amener la situation, et ce que cette séance doit produire.",
    ),
    ("step_analysis", "Analysis", "Analyse"),
    (
        "step_analysis_text",
        "The coach asks open questions to understand what happens today, what was tried, and what holds things back.",
        "Le coach pose des questions ouvertes pour comprendre ce qui se passe aujourd'hui, ce qui a été tenté et ce qui bloque.",
    ),
    ("step_options", "Options", "Pistes"),
    (
        "step_options_text",
        "The coach helps explore new possibilities, weigh their pros and cons, and picture the ideal outcome.",
        "Le coach aide à explorer de nouvelles possibilités, à peser leurs avantages et inconvénients, et à imaginer l'issue idéale.",
    ),
    ("step_commitments", "Commitments", "Engagements"),
    (
        "step_commitments_text",
        "The coachee settles on concrete next steps, the obstacles to expect and who or what can help.",
        "La personne accompagnée arrête des actions concrètes, les obstacles à prévoir et les appuis sur lesquels compter.",
    ),
    (
        "staff_intro",
        "This is the staff view of the activity. Learners see their own page; pairs are formed from the course roster.",
        "Ceci est la vue de l'équipe pédagogique. Les apprenants voient leur propre page ; les binômes sont formés à partir de la liste des participants.",
    ),
    ("staff_setup_title", "Course set-up", "Mise en place"),
    (
        "staff_learners_launched",
        "Learners who have opened the activity",
        "Apprenants ayant ouvert l'activité",
    ),
    (
        "staff_staff_launched",
        "Staff members who have opened it",
        "Membres de l'équipe l'ayant ouverte",
    ),
    (
        "staff_no_names",
        "Your LMS does not share learners' names with Binôme. In Moodle, set \"Share launcher's name with tool\" to \"Always\" in the tool's privacy settings.",
        "Votre plateforme ne transmet pas le nom des apprenants à Binôme. Dans Moodle, réglez « Partager le nom de l'utilisateur avec l'outil » sur « Toujours » dans les paramètres de confidentialité de l'outil.",
    ),
    (
        "staff_no_roster_service",
        "This launch offers no roster service (Names and Role Provisioning): only learners who open the activity will be known to Binôme.",
        "Ce lancement n'offre pas de service de liste des participants (Names and Role Provisioning) : seuls les apprenants qui ouvrent l'activité seront connus de Binôme.",
    ),
    (
        "staff_roster_service",
        "The roster service (Names and Role Provisioning) is available for this course.",
        "Le service de liste des participants (Names and Role Provisioning) est disponible pour ce cours.",
    ),
    (
        "staff_grades_service",
        "The gradebook service (Assignment and Grade Services) is available: completion can be sent back as a grade.",
        "Le service de notes (Assignment and Grade Services) est disponible : l'achèvement pourra être renvoyé comme note.",
    ),
    (
        "staff_no_grades_service",
        "No gradebook service in this launch: completion cannot be sent back to the gradebook from this link.",
        "Pas de service de notes dans ce lancement : l'achèvement ne pourra pas être renvoyé au carnet de notes depuis ce lien.",
    ),
    (
        "staff_confidential",
        "Staff see progress and completion only. What pairs write stays with the pair.",
        "L'équipe voit l'avancement et l'achèvement uniquement. Ce qu'écrivent les binômes reste entre eux.",
    ),
    ("role_staff", "teaching team", "équipe pédagogique"),
    ("role_learner", "learner", "apprenant"),
    ("about_link", "About this method", "À propos de la méthode"),
    ("back", "Back", "Retour"),
    ("about_title", "About this method", "À propos de la méthode"),
    (
        "about_text",
        "Binôme runs a structured peer-coaching process for pairs of learners who share a training but have no hierarchical link. The process is adapted from the peer-coaching canvas published by the company Actitudes under the Creative Commons Attribution 4.0 licence (CC BY 4.0), as described in a French training-design resource. The wording in Binôme is our own.",
        "Binôme anime un codéveloppement structuré entre deux apprenants d'une même formation, sans lien hiérarchique entre eux. Le processus est adapté du canevas de coaching entre pairs publié par la société Actitudes sous licence Creative Commons Attribution 4.0 (CC BY 4.0), tel que décrit dans une ressource française d'ingénierie de formation. Les textes de Binôme sont les nôtres.",
    ),
    (
        "about_pairs",
        "Pairs are made of two peers from the same course, with close field realities and no manager-report link. The same pair meets again module after module so that trust can grow.",
        "Un binôme réunit deux pairs de la même formation, aux réalités de terrain proches et sans lien hiérarchique. Le même binôme se retrouve de module en module pour que la confiance s'installe.",
    ),
    (
        "dl_title",
        "Add a peer-coaching activity",
        "Ajouter une activité de codéveloppement",
    ),
    (
        "dl_intro",
        "Choose a title for the activity. Learners who open it will be paired with a peer of this course.",
        "Choisissez un titre pour l'activité. Les apprenants qui l'ouvriront seront mis en binôme avec un pair de la formation.",
    ),
    ("dl_field_title", "Title", "Titre"),
    (
        "dl_field_text",
        "Description (optional)",
        "Description (facultative)",
    ),
    (
        "dl_field_graded",
        "Send completion to the gradebook",
        "Envoyer l'achèvement au carnet de notes",
    ),
    (
        "dl_default_title",
        "Peer-coaching session",
        "Séance de codéveloppement en binôme",
    ),
    ("dl_submit", "Add to the course", "Ajouter au cours"),
    (
        "dl_not_staff",
        "Only the teaching team can add Binôme activities.",
        "Seule l'équipe pédagogique peut ajouter des activités Binôme.",
    ),
    (
        "dl_returning",
        "Returning to your course…",
        "Retour à votre cours…",
    ),
    ("continue", "Continue", "Continuer"),
    (
        "login_wait",
        "Connecting to your course…",
        "Connexion à votre cours…",
    ),
    (
        "check_wait",
        "Checking your browser…",
        "Vérification de votre navigateur…",
    ),
    (
        "new_window_title",
        "Open Binôme in a new window",
        "Ouvrir Binôme dans une nouvelle fenêtre",
    ),
    (
        "new_window_text",
        "Your browser keeps Binôme from remembering you inside this page (third-party cookies or storage are blocked). Opening it in its own window solves this.",
        "Votre navigateur empêche Binôme de vous reconnaître dans cette page (cookies ou stockage tiers bloqués). L'ouvrir dans sa propre fenêtre règle le problème.",
    ),
    (
        "new_window_button",
        "Open in a new window",
        "Ouvrir dans une nouvelle fenêtre",
    ),
    (
        "error_title",
        "Binôme could not open",
        "Binôme n'a pas pu s'ouvrir",
    ),
    (
        "error_for_you",
        "What you can do",
        "Ce que vous pouvez faire",
    ),
    (
        "error_for_you_text",
        "Go back to your course and open the activity again. If this keeps happening, send the details below to your LMS administrator.",
        "Revenez à votre cours et rouvrez l'activité. Si le problème persiste, transmettez les détails ci-dessous à l'administrateur de votre plateforme.",
    ),
    (
        "error_for_admin",
        "For the LMS administrator",
        "Pour l'administrateur de la plateforme",
    ),
    ("error_reason", "Reason code", "Code de la raison"),
    ("error_id", "Error id", "Identifiant de l'erreur"),
    (
        "not_found",
        "This page does not exist.",
        "Cette page n'existe pas.",
    ),
    (
        "session_expired",
        "Your Binôme session has expired or is not valid. Open the activity again from your course.",
        "Votre session Binôme a expiré ou n'est pas valide. Rouvrez l'activité depuis votre cours.",
    ),
    (
        "internal_error",
        "Something went wrong on our side. Try again in a moment.",
        "Un problème est survenu de notre côté. Réessayez dans un instant.",
    ),
    ("roster_title", "Roster", "Participants"),
    (
        "roster_source_nrps",
        "From the LMS roster (Names and Role Provisioning).",
        "Liste issue de la plateforme (Names and Role Provisioning).",
    ),
    (
        "roster_source_launches",
        "Your LMS offers no roster service here: the list holds the people who opened the activity.",
        "Votre plateforme n'offre pas de service de liste ici : la liste contient les personnes ayant ouvert l'activité.",
    ),
    (
        "roster_last_sync",
        "Last synchronised",
        "Dernière synchronisation",
    ),
    ("roster_never", "never", "jamais"),
    (
        "roster_error",
        "The last synchronisation failed; the list below is the previous one",
        "La dernière synchronisation a échoué ; la liste ci-dessous est la précédente",
    ),
    ("roster_refresh", "Refresh roster", "Actualiser la liste"),
    (
        "roster_names_missing",
        "Your LMS shares no names or emails with Binôme, so people show as LMS user ids. In Moodle, set the tool's privacy options \"Share launcher's name\" and \"Share launcher's email\" to \"Always\".",
        "Votre plateforme ne transmet ni noms ni courriels à Binôme : les personnes apparaissent sous leur identifiant. Dans Moodle, réglez les options de confidentialité de l'outil « Partager le nom » et « Partager le courriel » sur « Toujours ».",
    ),
    ("col_name", "Name", "Nom"),
    ("col_email", "Email", "Courriel"),
    ("col_role", "Role", "Rôle"),
    ("col_status", "Status", "Statut"),
    ("col_tags", "Field context", "Contexte de terrain"),
    ("col_launched", "Opened the activity", "A ouvert l'activité"),
    ("yes", "yes", "oui"),
    ("no", "no", "non"),
    ("role_staff_short", "staff", "équipe"),
    ("role_learner_short", "learner", "apprenant"),
    ("role_other_short", "other", "autre"),
    (
        "tags_title",
        "Field-context tags",
        "Étiquettes de contexte de terrain",
    ),
    (
        "tags_help",
        "One tag per line, e.g. \"sector: health\" or \"job: trainer\". Learners pick theirs on first launch; similar contexts are paired first.",
        "Une étiquette par ligne, par exemple « secteur : santé » ou « métier : formateur ». Les apprenants choisissent les leurs à leur première visite ; les contextes proches sont appariés en priorité.",
    ),
    ("policy_label", "Across modules", "D'un module à l'autre"),
    (
        "policy_keep",
        "keep the same pairs (recommended)",
        "garder les mêmes binômes (recommandé)",
    ),
    (
        "policy_new",
        "new partner each module",
        "nouveau partenaire à chaque module",
    ),
    ("policy_free", "no preference", "indifférent"),
    ("save", "Save", "Enregistrer"),
    ("links_title", "Hierarchical links", "Liens hiérarchiques"),
    (
        "links_help",
        "Paste one link per line: manager, report — as emails or LMS user ids. People linked this way (and across levels) are never paired.",
        "Collez un lien par ligne : responsable, collaborateur — en courriels ou identifiants de la plateforme. Les personnes ainsi liées (y compris à plusieurs niveaux) ne sont jamais mises ensemble.",
    ),
    ("links_upload", "Add links", "Ajouter les liens"),
    (
        "links_count",
        "links from staff; learners' own declarations stay private and are not listed",
        "liens venant de l'équipe ; les déclarations des apprenants restent privées et ne sont pas listées",
    ),
    ("upload_added", "Links added", "Liens ajoutés"),
    ("upload_bad", "Lines not used", "Lignes non retenues"),
    ("line", "line", "ligne"),
    ("pairs_title", "Pairs", "Binômes"),
    (
        "pairs_none",
        "No proposal yet.",
        "Pas encore de proposition.",
    ),
    ("pairs_propose", "Propose pairs", "Proposer des binômes"),
    (
        "pairs_repropose",
        "Propose again (locked pairs are kept)",
        "Proposer à nouveau (les binômes verrouillés sont gardés)",
    ),
    (
        "pairs_draft",
        "Proposal (not visible to learners yet)",
        "Proposition (pas encore visible des apprenants)",
    ),
    ("pairs_published", "Published pairs", "Binômes publiés"),
    ("pairs_publish", "Publish", "Publier"),
    ("pairs_lock", "Lock", "Verrouiller"),
    ("pairs_unlock", "Unlock", "Déverrouiller"),
    ("pairs_split", "Split", "Séparer"),
    ("pairs_locked", "locked", "verrouillé"),
    (
        "pairs_swap",
        "Swap two learners",
        "Échanger deux apprenants",
    ),
    (
        "pairs_exclude",
        "Never pair these two",
        "Ne jamais mettre ces deux-là ensemble",
    ),
    ("pairs_unplaced", "Not placed", "Non placés"),
    ("pairs_shared", "shared", "en commun"),
    ("pairs_kept_from", "kept from", "gardé depuis"),
    ("pairs_history", "Changes", "Modifications"),
    (
        "reason_unavailable",
        "not active in the course",
        "pas actif dans le cours",
    ),
    (
        "reason_no_partner",
        "excluded from every other learner",
        "exclu avec tous les autres apprenants",
    ),
    (
        "reason_left_over",
        "no compatible partner left",
        "aucun partenaire compatible restant",
    ),
    (
        "notice_synced",
        "The roster was refreshed.",
        "La liste a été actualisée.",
    ),
    (
        "notice_sync_failed",
        "The roster could not be refreshed; the previous list is kept.",
        "La liste n'a pas pu être actualisée ; la précédente est conservée.",
    ),
    ("notice_saved", "Saved.", "Enregistré."),
    (
        "notice_proposed",
        "A new proposal is ready below.",
        "Une nouvelle proposition est prête ci-dessous.",
    ),
    (
        "notice_published",
        "Pairs published: each learner now sees their partner.",
        "Binômes publiés : chaque apprenant voit désormais son partenaire.",
    ),
    (
        "notice_refused",
        "That change was refused: it would put two linked people together, or names someone not in a pair.",
        "Cette modification a été refusée : elle mettrait ensemble deux personnes liées, ou vise quelqu'un qui n'est dans aucun binôme.",
    ),
    (
        "profile_title",
        "Your field context",
        "Votre contexte de terrain",
    ),
    (
        "profile_help",
        "Tick what describes your work: it helps pair you with someone whose reality is close to yours.",
        "Cochez ce qui décrit votre travail : cela aide à vous associer à quelqu'un dont la réalité est proche de la vôtre.",
    ),
    (
        "declare_title",
        "Hierarchical link (private)",
        "Lien hiérarchique (privé)",
    ),
    (
        "declare_help",
        "If someone in this course is your manager, reports to you, or has another hierarchical link with you, say so: you will not be paired. Nobody else sees this, and the person is never told.",
        "Si une personne de la formation est votre responsable, votre collaborateur ou a un autre lien hiérarchique avec vous, indiquez-le : vous ne serez pas mis ensemble. Personne d'autre ne le voit et la personne n'en est jamais informée.",
    ),
    (
        "declare_manager",
        "is my manager",
        "est mon ou ma responsable",
    ),
    (
        "declare_report",
        "reports to me",
        "fait partie de mon équipe",
    ),
    (
        "declare_other",
        "other hierarchical link",
        "autre lien hiérarchique",
    ),
    ("declare_add", "Declare", "Déclarer"),
    ("declare_remove", "Remove", "Retirer"),
    ("partner_title", "Your partner", "Votre binôme"),
    (
        "partner_trio",
        "You are in a trio this time: three rounds, so everyone coaches and is coached.",
        "Vous êtes en trio cette fois : trois tours, pour que chacun accompagne et soit accompagné.",
    ),
    (
        "partner_next",
        "Next: prepare your situation (context, people involved, what you want to change), then meet for the session.",
        "Ensuite : préparez votre situation (contexte, personnes concernées, ce que vous voulez changer), puis retrouvez-vous pour la séance.",
    ),
    ("colon", ":", " :"),
    ("pairs_trio", "trio", "trio"),
    (
        "note_no_hierarchy",
        "no hierarchical link",
        "aucun lien hiérarchique",
    ),
    (
        "note_joined_trio",
        "completed as a trio",
        "complété en trio",
    ),
    ("note_late_joiner", "late joiner", "arrivée tardive"),
    (
        "note_orphan_repaired",
        "partner left: re-paired",
        "partenaire parti : nouveau binôme",
    ),
    ("note_new_partner", "new partner", "nouveau partenaire"),
    (
        "note_repeat_partner",
        "already paired before",
        "déjà en binôme auparavant",
    ),
    (
        "note_changed_by_instructor",
        "changed by the teaching team",
        "modifié par l'équipe",
    ),
    (
        "note_lock_dropped",
        "a lock could not be kept",
        "un verrouillage n'a pas pu être gardé",
    ),
    (
        "note_trio_reopened",
        "the trio was split up: the count became even",
        "le trio a été séparé : le nombre est devenu pair",
    ),
];
