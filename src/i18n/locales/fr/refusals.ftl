# Les textes du produit sont les nôtres.
## Connexions et lancements LTI refusés : pour chacun, ce qui s'est passé (refused_*) et ce que
## l'administrateur de la plateforme doit vérifier (refused_*_check). Les variables sont
## décrites dans le fichier anglais (en/refusals.ftl).

refused_missing_param = La requête de la plateforme ne contient pas le paramètre « { $param } ».
refused_missing_param_check = Vérifiez que l'outil est configuré en LTI 1.3 avec l'URL de connexion et l'URI de redirection données par `binome lti-config`.
refused_unknown_platform = Cette plateforme ({ $issuer }) n'est pas enregistrée dans Binôme pour l'identifiant client { $client_id }.
refused_no_client_id = (aucun)
refused_unknown_platform_check = Vérifiez l'émetteur (issuer) et l'identifiant client : enregistrez-les sur le serveur Binôme avec `binome platform add`.
refused_ambiguous_client = Plusieurs enregistrements existent pour { $issuer } et la plateforme n'a pas précisé lequel.
refused_ambiguous_client_check = Vérifiez que la plateforme envoie client_id dans la requête de connexion.
refused_foreign_target = La cible du lien { $target } n'appartient pas à ce serveur Binôme.
refused_foreign_target_check = Vérifiez l'URL de l'outil dans la plateforme et BINOME_BASE_URL sur le serveur : elles doivent avoir la même origine.
refused_platform_error = La plateforme a refusé de vous connecter à Binôme ({ $error }).
refused_platform_error_described = La plateforme a refusé de vous connecter à Binôme ({ $error } : { $description }).
refused_platform_error_check = Vérifiez que vous êtes toujours connecté à la plateforme et que l'URI de redirection de l'outil est enregistrée à l'identique.
refused_malformed = La plateforme a envoyé quelque chose que Binôme ne peut pas lire comme un lancement LTI.
refused_malformed_check = Vérifiez que l'outil est configuré en LTI 1.3 (et non 1.1) et que l'URI de redirection pointe vers /lti/launch.
refused_alg = Le lancement est signé avec l'algorithme « { $alg } » ; Binôme n'accepte que RS256.
refused_alg_check = Vérifiez les paramètres de signature LTI 1.3 de la plateforme.
refused_signature = La signature du lancement ne correspond pas aux clés publiques de la plateforme.
refused_signature_check = Vérifiez l'URL du jeu de clés publiques de la plateforme enregistrée dans Binôme (`binome platform list`).
refused_jwks = Binôme n'a pas pu lire les clés publiques de la plateforme ({ $detail }).
refused_jwks_check = Vérifiez que l'URL du jeu de clés est juste et joignable depuis le serveur Binôme.
refused_time = Le lancement est hors de sa période de validité : il a expiré ou vient du futur.
refused_time_check = Vérifiez que les horloges du serveur de la plateforme et du serveur Binôme sont synchronisées (NTP).
refused_wrong_party = Le lancement a été émis pour un autre outil, ou par une autre plateforme que celle qui a commencé la connexion.
refused_wrong_party_check = Comparez l'émetteur et l'identifiant client enregistrés dans Binôme avec la configuration de l'outil dans la plateforme.
refused_invalid = Le lancement n'est pas un lancement LTI 1.3 valide que Binôme peut ouvrir ({ $detail }).
refused_invalid_check = Vérifiez que la plateforme utilise LTI 1.3 et que le lien est une activité Binôme ou une sélection de contenu.
refused_state = Binôme n'a pas pu rattacher ce lancement à la connexion commencée par votre navigateur.
refused_state_check = Souvent sans gravité : rouvrez l'activité. Si cela persiste, vérifiez que la plateforme renvoie l'état (state) reçu.
refused_state_expired = La connexion a pris trop de temps et a expiré.
refused_state_expired_check = Rouvrez l'activité.
refused_replayed = Ce lancement a déjà été utilisé. Chaque lancement ne s'ouvre qu'une fois.
refused_replayed_check = Rouvrez l'activité depuis le cours plutôt que de recharger la page ou revenir en arrière.
refused_unknown_deployment = Cette installation de Binôme dans la plateforme (déploiement { $deployment }) n'est pas encore approuvée sur le serveur Binôme.
refused_unknown_deployment_check = Binôme a enregistré ce déploiement comme en attente. L'exploitant du serveur Binôme l'approuve avec cette commande, à lancer sur le serveur Binôme ; les lancements fonctionnent aussitôt après :
refused_too_large = La requête dépasse la taille acceptée par Binôme.
refused_too_large_check = Vérifiez les paramètres personnalisés configurés pour l'outil dans la plateforme.

refused_login_rate_limited = Trop de connexions à Binôme sont venues de votre réseau en peu de temps ; celle-ci a été refusée. Réessayez dans { $retry_after } secondes.
refused_login_rate_limited_check = Si beaucoup de personnes partagent une adresse (réseau d'établissement), l'administrateur de Binôme peut relever BINOME_LOGIN_RATE_PER_ADDRESS (toutes les personnes derrière une adresse) ou BINOME_LOGIN_RATE_PER_CLIENT (une personne) ; derrière un proxy inverse, vérifiez BINOME_TRUST_PROXY.
refused_platform_login_rate_limited = Binôme reçoit en ce moment plus de connexions de cette plateforme qu'il n'en accepte. Réessayez dans { $retry_after } secondes.
refused_platform_login_rate_limited_check = Si cela arrive aux heures chargées, l'administrateur de Binôme peut relever BINOME_LOGIN_RATE_PER_PLATFORM.
refused_too_many_pending_logins = Trop de connexions à Binôme depuis cette plateforme attendent de se terminer ; celle-ci a été refusée. Réessayez dans une minute.
refused_too_many_pending_logins_check = Les connexions inachevées expirent après dix minutes. Si cela persiste, l'administrateur de Binôme peut relever BINOME_MAX_PENDING_LOGINS, ou chercher un afflux de requêtes de connexion dans les journaux.
refused_launch_origin_mismatch = Votre navigateur n'a gardé aucune trace de la connexion (ses cookies sont bloqués), et ce lancement n'a pas été envoyé par la page de la plateforme (il vient de { $from }). Binôme l'a refusé, pour éviter qu'un autre site vous connecte à votre insu.
refused_launch_origin_mismatch_check = Rouvrez l'activité depuis le cours. Si cela persiste, autorisez les cookies du site de Binôme, ou vérifiez que la plateforme n'envoie pas de Referrer-Policy no-referrer sur sa page de connexion.
refused_platform_pending = L'enregistrement de Binôme par ce LMS attend l'approbation de l'exploitant du serveur Binôme.
refused_platform_pending_check = Il a été fait sans invitation (enregistrement { $id }, marqué PENDING dans `binome platform list`). L'exploitant l'approuve avec cette commande, à lancer sur le serveur Binôme ; les lancements fonctionnent aussitôt après :
