# The product's own wording.
## Refused LTI logins and launches: for each, what happened (refused_*) and what the LMS
## administrator should check (refused_*_check). Variables are described beside each pair.

# $param: the missing parameter's name.
refused_missing_param = The request from the LMS lacks the parameter "{ $param }".
refused_missing_param_check = Check that the tool is configured as an LTI 1.3 tool with the login URL and redirection URI given by `binome lti-config`.
# $issuer; $client_id: the client id, or the text of refused_no_client_id.
refused_unknown_platform = This LMS ({ $issuer }) is not registered with Binôme for client id { $client_id }.
refused_no_client_id = (none)
refused_unknown_platform_check = Check the issuer and client id: register them on the Binôme server with `binome platform add`.
# $issuer
refused_ambiguous_client = Several registrations exist for { $issuer } and the LMS did not say which one.
refused_ambiguous_client_check = Check that the LMS sends client_id in the login request.
# $target: the link's URL.
refused_foreign_target = The link target { $target } is not part of this Binôme server.
refused_foreign_target_check = Check the tool URL configured in the LMS and BINOME_BASE_URL on the server: they must share the same origin.
# $error: the platform's error code; $description: its explanation.
refused_platform_error = The LMS refused to sign you in to Binôme ({ $error }).
refused_platform_error_described = The LMS refused to sign you in to Binôme ({ $error }: { $description }).
refused_platform_error_check = Check that you are still signed in to the LMS, and that the tool's redirection URI is registered exactly.
refused_malformed = The LMS sent something Binôme cannot read as an LTI launch.
refused_malformed_check = Check that the tool is set up for LTI 1.3 (not 1.1) and that the redirection URI points to /lti/launch.
# $alg: the signing algorithm used.
refused_alg = The launch was signed with the algorithm "{ $alg }"; Binôme accepts RS256 only.
refused_alg_check = Check the platform's LTI 1.3 signing settings.
refused_signature = The launch's signature does not match the LMS's public keys.
refused_signature_check = Check the platform's public keyset URL registered in Binôme (`binome platform list`).
# $detail: why the keys could not be read.
refused_jwks = Binôme could not read the LMS's public keys ({ $detail }).
refused_jwks_check = Check that the keyset URL is right and reachable from the Binôme server.
refused_time = The launch is outside its validity window: it has expired or comes from the future.
refused_time_check = Check that the clocks of the LMS server and the Binôme server are synchronised (NTP).
refused_wrong_party = The launch was issued for another tool or by another platform than the one that started the sign-in.
refused_wrong_party_check = Check the issuer and client id registered in Binôme against the LMS's tool configuration.
# $detail: what is wrong with the launch.
refused_invalid = The launch is not a valid LTI 1.3 launch Binôme can open ({ $detail }).
refused_invalid_check = Check that the LMS uses LTI 1.3 and that the link is a Binôme activity or a deep-linking selection.
refused_state = Binôme could not match this launch to the sign-in your browser started.
refused_state_check = Usually harmless: open the activity again. If it persists, check that the LMS posts back the state it received.
refused_state_expired = The sign-in took too long and has expired.
refused_state_expired_check = Open the activity again.
refused_replayed = This launch has already been used. Each launch can be opened once.
refused_replayed_check = Open the activity again from the course rather than reloading or going back.
# $deployment: the deployment id.
refused_unknown_deployment = This installation of Binôme in the LMS (deployment { $deployment }) has not been approved on the Binôme server yet.
refused_unknown_deployment_check = Binôme recorded the deployment as pending. The operator of the Binôme server approves it with this command, run on the Binôme server; launches work right after:
refused_too_large = The request is larger than Binôme accepts.
refused_too_large_check = Check custom parameters and claims configured for the tool in the LMS.

refused_login_rate_limited = Too many sign-ins to Binôme came from your network in a short time; this one was refused. Try again in { $retry_after } seconds.
refused_login_rate_limited_check = If many people share one address (a school network), the Binôme administrator can raise BINOME_LOGIN_RATE_PER_ADDRESS (everyone behind one address) or BINOME_LOGIN_RATE_PER_CLIENT (one person); behind a reverse proxy, check BINOME_TRUST_PROXY.
refused_platform_login_rate_limited = Binôme is receiving more sign-ins from this LMS than it accepts right now. Try again in { $retry_after } seconds.
refused_platform_login_rate_limited_check = If this happens at busy times, the Binôme administrator can raise BINOME_LOGIN_RATE_PER_PLATFORM.
refused_too_many_pending_logins = Too many sign-ins to Binôme from this LMS are waiting to complete; this one was refused. Try again in a minute.
refused_too_many_pending_logins_check = Unfinished sign-ins expire after ten minutes. If this persists, the Binôme administrator can raise BINOME_MAX_PENDING_LOGINS, or look for a flood of login requests in the logs.
refused_launch_origin_mismatch = Your browser kept no trace of the sign-in (its cookies are blocked), and this launch was not sent by the LMS page (it came from { $from }). Binôme refused it, to protect you from being signed in by another site.
refused_launch_origin_mismatch_check = Open the activity again from the course. If it persists, allow cookies for the Binôme site, or check that the LMS does not send a Referrer-Policy of no-referrer on its sign-in page.
refused_platform_pending = This LMS's registration of Binôme waits for the approval of the operator of the Binôme server.
refused_platform_pending_check = It was registered without an invitation (registration { $id }, marked PENDING in `binome platform list`). The operator approves it with this command, run on the Binôme server; launches work right after:
