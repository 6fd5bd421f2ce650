//! Page rendering: the minijinja templates compiled into the binary, and the headers every
//! page carries (CSP `frame-ancestors` limited to the registered platforms, no caching).
//!
//! Templates read the wording of their language from the Fluent catalogues
//! ([`crate::i18n`]): `{{ t.some_id }}` for a message without variables, and
//! `{{ tr("some_id", name=value) }}` for one with variables (values are escaped like any
//! other). Undefined values are errors (strict mode), so is a message that does not exist;
//! a template that does not compile, or names a message missing in one language, stops
//! [`Pages::new`] and so the start-up.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior, Value, context};

use crate::coaching::method::Step;
use crate::i18n::{Arg, CatalogueError, Locale};

/// The compiled templates.
pub struct Pages {
    env: Environment<'static>,
    base: String,
    /// The texts object and the method steps per locale (English, French), built once.
    texts: [(Value, Value); 2],
}

/// A template failed to render (a bug: the values do not fit the template). The page is
/// not served; the web layer answers with a 500 and an error id.
#[derive(Debug, thiserror::Error)]
#[error("template {name} failed to render")]
pub struct RenderError {
    name: String,
    #[source]
    source: Error,
}

/// Why the pages could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PagesError {
    /// A template does not compile.
    #[error("template {name} does not compile: {source:#}")]
    Compile {
        name: &'static str,
        source: minijinja::Error,
    },
    /// A template names a message that a language lacks (or, with `t.`, one that needs
    /// variables), or calls `tr` with an id that is not a literal.
    #[error("template {name}: {detail}")]
    Message { name: &'static str, detail: String },
    /// The catalogues do not load.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
}

pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("error.html", include_str!("templates/error.html")),
    ("method.html", include_str!("templates/method.html")),
    ("learner.html", include_str!("templates/learner.html")),
    ("staff.html", include_str!("templates/staff.html")),
    (
        "staff_dashboard.html",
        include_str!("templates/staff_dashboard.html"),
    ),
    ("overview.html", include_str!("templates/overview.html")),
    ("about.html", include_str!("templates/about.html")),
    (
        "activity_setup.html",
        include_str!("templates/activity_setup.html"),
    ),
    ("not_set_up.html", include_str!("templates/not_set_up.html")),
    ("autopost.html", include_str!("templates/autopost.html")),
    ("storage.html", include_str!("templates/storage.html")),
    ("register.html", include_str!("templates/register.html")),
    ("registered.html", include_str!("templates/registered.html")),
    ("declare.html", include_str!("templates/declare.html")),
    ("session.html", include_str!("templates/session.html")),
    (
        "session_panel.html",
        include_str!("templates/session_panel.html"),
    ),
];

impl Pages {
    /// Compiles the templates and checks that every message they name exists in every
    /// language.
    pub fn new(base: &str) -> Result<Pages, PagesError> {
        Pages::with_templates(base, TEMPLATES)
    }

    /// Same with other templates (tests).
    pub(crate) fn with_templates(
        base: &str,
        templates: &[(&'static str, &'static str)],
    ) -> Result<Pages, PagesError> {
        crate::i18n::check()?;
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_function("tr", tr);
        env.add_filter("code_spans", code_spans);
        for (name, src) in templates {
            env.add_template(name, src)
                .map_err(|source| PagesError::Compile { name, source })?;
        }
        for (name, src) in templates {
            let tmpl = env
                .get_template(name)
                .map_err(|source| PagesError::Compile { name, source })?;
            let used = messages_used(src, &tmpl.undeclared_variables(true))
                .map_err(|detail| PagesError::Message { name, detail })?;
            check_messages(&used).map_err(|detail| PagesError::Message { name, detail })?;
        }
        // Links are root-relative with the base URL's path, so pages work whatever host name
        // the browser used, and behind a reverse proxy that mounts the tool under a prefix.
        let path = url::Url::parse(base)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        let texts = Locale::ALL.map(|l| (Value::from_object(Texts::new(l)), Value::from(steps(l))));
        Ok(Pages {
            env,
            base: path,
            texts,
        })
    }

    /// The path of the base URL ("" at the root), for links and redirects.
    pub fn base_path(&self) -> &str {
        &self.base
    }

    /// Renders a template with the locale's texts, the base URL and the given values.
    pub fn try_render(&self, name: &str, locale: Locale, values: Value) -> Result<String, Error> {
        let (t, steps) = &self.texts[if locale == Locale::Fr { 1 } else { 0 }];
        let ctx = context! { t => t, lang => locale.code(), base => &self.base, steps => steps, ..values };
        self.env.get_template(name).and_then(|t| t.render(ctx))
    }

    /// Same, with the template's name on the error (for the error page and the log).
    pub fn render(&self, name: &str, locale: Locale, values: Value) -> Result<String, RenderError> {
        self.try_render(name, locale, values)
            .map_err(|source| RenderError {
                name: name.to_string(),
                source,
            })
    }

    /// An HTML response with the security headers of a framed page.
    pub fn respond(
        &self,
        status: StatusCode,
        html: String,
        frame_ancestors: &[String],
    ) -> HttpResponse {
        let mut b = HttpResponse::build(status);
        for (k, v) in security_headers(frame_ancestors) {
            b.insert_header((k, v));
        }
        b.content_type("text/html; charset=utf-8").body(html)
    }
}

/// The headers of every page: CSP (framing by the platforms only, forms posted only to us and
/// to them), no referrer, no caching. (`nosniff` and HSTS are on every response: startup.)
pub fn security_headers(frame_ancestors: &[String]) -> Vec<(&'static str, String)> {
    let mut fa = String::from("'self'");
    for o in frame_ancestors {
        // Origins come from registrations and signed claims; anything with CSP syntax in it
        // is dropped rather than trusted.
        if !o.contains([';', ',', ' ', '\'', '"']) {
            fa.push(' ');
            fa.push_str(o);
        }
    }
    vec![
        (
            "Content-Security-Policy",
            format!(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'none'; form-action {fa}; frame-ancestors {fa}"
            ),
        ),
        ("Referrer-Policy", "no-referrer".into()),
        ("Cache-Control", "no-store".into()),
    ]
}

/// A moment as pages show it (see `read::Moment`).
pub fn moment(l: Locale, unix_secs: i64) -> Value {
    Value::from_serialize(crate::read::Moment::at(l, unix_secs))
}

fn steps(locale: Locale) -> Vec<Value> {
    Step::ALL
        .iter()
        .map(|s| {
            let (lo, hi) = s.minutes();
            let time = if lo == hi { lo.to_string() } else { format!("{lo}–{hi}") };
            context! { key => s.key(), name => locale.t(s.name_id()), text => locale.t(s.text_id()), time => time }
        })
        .collect()
}

/// The texts of one language for templates: `t.some_id` is the message `some_id`; an id
/// that does not exist (or needs variables) is undefined, which strict mode refuses. The
/// messages without variables are formatted once.
#[derive(Debug)]
struct Texts {
    locale: Locale,
    plain: HashMap<&'static str, Value>,
}

impl Texts {
    fn new(locale: Locale) -> Texts {
        let plain = locale
            .ids()
            .into_iter()
            .filter_map(|id| Some((id, Value::from(locale.lookup(id, &[]).ok()?))))
            .collect();
        Texts { locale, plain }
    }
}

impl Object for Texts {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let id = key.as_str()?;
        if let Some(text) = self.plain.get(id) {
            return Some(text.clone());
        }
        if let Err(e) = self.locale.lookup(id, &[]) {
            tracing::error!(error = %e, "template names a missing text");
        }
        None
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::NonEnumerable
    }
}

/// `tr("id", name=value, …)`: a message with variables, in the page's language.
fn tr(state: &State, id: &str, kwargs: Kwargs) -> Result<String, Error> {
    let locale = match state.lookup("lang").as_ref().and_then(Value::as_str) {
        Some("en") => Locale::En,
        Some("fr") => Locale::Fr,
        _ => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "tr() needs the page's `lang`",
            ));
        }
    };
    let mut args: Vec<(&str, Arg<'_>)> = Vec::new();
    for name in kwargs.args() {
        let v: Value = kwargs.get(name)?;
        let arg = match v.kind() {
            ValueKind::Undefined | ValueKind::None => {
                return Err(Error::new(
                    ErrorKind::UndefinedError,
                    format!("tr({id:?}): {name} has no value"),
                ));
            }
            // Integers stay numbers, so that they choose plural forms.
            ValueKind::Number => v
                .as_i64()
                .map_or_else(|| Arg::from(v.to_string()), Arg::Number),
            _ => Arg::from(v.to_string()),
        };
        args.push((name, arg));
    }
    kwargs.assert_all_used()?;
    locale
        .lookup(id, &args)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// `{{ text|code_spans }}`: the text escaped, each part between backticks in a `<code>`
/// element (the catalogues name commands and settings that way). A text with an unpaired
/// backtick is only escaped.
fn code_spans(text: &str) -> Value {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return Value::from_safe_string(minijinja::HtmlEscape(text).to_string());
    }
    let mut html = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        let escaped = minijinja::HtmlEscape(part).to_string();
        if i % 2 == 1 {
            html.push_str("<code>");
            html.push_str(&escaped);
            html.push_str("</code>");
        } else {
            html.push_str(&escaped);
        }
    }
    Value::from_safe_string(html)
}

/// The messages a template names: (`t.` ids, `tr(` ids). The id of `tr` must be a literal.
fn messages_used(
    src: &str,
    undeclared: &std::collections::HashSet<String>,
) -> Result<(BTreeSet<String>, BTreeSet<String>), String> {
    let plain = undeclared
        .iter()
        .filter_map(|v| v.strip_prefix("t."))
        .map(|id| id.split('.').next().unwrap_or(id).to_string())
        .collect();
    let mut with_args = BTreeSet::new();
    let mut rest = src;
    while let Some(at) = rest.find("tr(") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + 3..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let arg = rest.trim_start();
        let quote = arg.chars().next().filter(|c| *c == '"' || *c == '\'');
        let id = quote.and_then(|q| arg[1..].split_once(q)).map(|(id, _)| id);
        match id {
            Some(id) if !id.is_empty() => {
                with_args.insert(id.to_string());
            }
            _ => return Err("tr() takes the message id as a literal string".into()),
        }
    }
    Ok((plain, with_args))
}

/// Every message exists in every language; those read as `t.id` need no variables.
fn check_messages((plain, with_args): &(BTreeSet<String>, BTreeSet<String>)) -> Result<(), String> {
    for l in Locale::ALL {
        for id in plain {
            l.lookup(id, &[]).map_err(|e| format!("t.{id}: {e}"))?;
        }
        for id in with_args {
            if !l.has(id) {
                return Err(format!("tr({id:?}): no such message in {}", l.code()));
            }
        }
    }
    Ok(())
}

/// A file to download, never cached: its name names no person and no course.
pub fn download(
    file_name: &str,
    content_type: &'static str,
    body: impl actix_web::body::MessageBody + 'static,
) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file_name}\""),
        ))
        .content_type(content_type)
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a template reads, as the handlers give it: `full` fills every branch, the other
    /// leaves optional values out (anonymous learner, nothing proposed, no report).
    fn sample(name: &str, full: bool) -> Value {
        let people = vec![
            context! { id => "u1", name => "Ada <Lovelace>" },
            context! { id => "u2", name => "Zoé" },
        ];
        let group = context! {
            members => people.clone(), first => "u1", locked => full, trio => full,
            shared => if full { "sector: health" } else { "" },
            kept_from => if full { Some("Module 1") } else { None },
            notes => "new partner",
        };
        let plan = context! {
            groups => vec![group],
            unplaced => if full { vec![context! { name => "Léa", reason => "no compatible partner left", detail => "Ada" }] } else { vec![] },
            exact => true,
        };
        let session = context! {
            token => "tok", name => full.then_some("Ada"), course => full.then_some("Course"),
            activity => full.then_some("Activity"), anonymous => !full, nrps => full, ags => full,
            module => full.then_some("Module 2 — Conflicts"), instructions => full.then_some("Bring a real situation."),
            notice => full.then_some("Saved."), notice_at => full.then_some("pairs"), notice_class => "notice-ok",
            max_declarations => 5,
            upload => full.then(|| context! { added => 2, bad => vec![context! { line => 3, why => "unknown" }] }),
        };
        let table =
            context! { head => vec!["Option", "Pros", "Cons"], rows => vec![vec!["a", "b", "c"]] };
        let meeting_moment = context! { utc => "2027-01-15T13:00:00Z", input => "2027-01-15T13:00", words => "15 Jan 2027, 13:00 UTC", zone => "Europe/Paris" };
        let field = context! {
            id => "options.r1", dom_id => "options-r1", label => "Options", kind => "list", text => if full { "a | b | c" } else { "" },
            table => (!full).then(|| table.clone()), moment => None::<Value>, earlier => None::<String>,
            version => 1, editable => full, hint => full.then_some("One per line"), author => (!full).then_some("Zoé"), max => 20000, rows => 4,
        };
        let when = context! {
            id => "meeting_date.g", dom_id => "meeting_date-g", label => "When we meet", kind => "moment", text => "",
            table => None::<Value>, moment => full.then(|| meeting_moment.clone()), earlier => (!full).then_some("Thursday 14:00"),
            version => 1, editable => full, hint => full.then_some("In your own time zone."), author => None::<String>, max => 500, rows => 1,
        };
        let link = context! {
            id => "meeting_link.g", dom_id => "meeting_link-g", label => "Where we meet", kind => "link", text => "https://meet.example/x",
            table => None::<Value>, moment => None::<Value>, earlier => None::<String>,
            version => 1, editable => full, hint => None::<String>, author => None::<String>, max => 500, rows => 1,
        };
        let stage = |state: &str| context! { short => "1", long => "Round 1, step 1: Sharing: done", state => state };
        let progress = context! {
            prep => stage("done"), intro => stage("done"),
            rounds => vec![context! { short => "R1", steps => vec![stage("done"), stage("now"), stage("todo")] }],
            closing => stage("todo"),
        };
        let panel = context! {
            seq => 3, ordinal => 0, server_now => 1, phase => if full { "round" } else { "preparation" }, step_key => "1-options",
            progress => full.then_some(progress), lead => full.then_some("Ask open questions."),
            title => "Step 4: Options", announce => "Now: options",
            round_title => full.then_some("Round 1 of 2"), you_are => full.then_some("You are coach"),
            members => vec![context! { name => "Ada", me => true, role => full.then_some("Coach"), presence => "online", presence_key => "online", accepted => full, prepared => full }],
            guidance => vec!["g"], posture => if full { vec!["p"] } else { vec![] }, questions => if full { vec!["q"] } else { vec![] },
            preparations => vec![context! { name => "Ada", me => true, fields => vec![field.clone()] }],
            work_fields => vec![field.clone()], round_so_far => if full { vec![field.clone()] } else { vec![] },
            summary => if full { vec![context! { title => "Commitments of Zoé", fields => vec![field.clone()] }] } else { vec![] },
            takeaways => if full { vec![field.clone()] } else { vec![] },
            timer => full.then(|| context! { text => "4:59", started => 1, duration => 300, paused_since => None::<i64>, paused_total => 0, remaining => 299 }),
            paused => full,
            buttons => context! {
                accept => full, prepared => full, start => full, next => full, previous => full, end_round => full,
                next_round => full.then_some(2), open_closing => full, complete => full, pause => full, resume => full,
                extend => full, abandon => full, practice => full, export => full,
                abandon_label => "Ask to abandon", abandon_hint => full.then_some("Everyone must agree."),
                keep_session => full.then_some("Keep the session"),
            },
            trio => full, practice_number => full.then_some(1),
            history => if full { vec![context! { ordinal => 0, label => "Guided session", status => "completed", at => "1 Dec 2026, 08:05 UTC" }] } else { vec![] },
            timings => vec![context! { key => "sharing", name => "Sharing", minutes => 5 }],
            meeting => vec![link, when], meeting_url => full.then_some("https://meet.example/x"),
            meeting_when => full.then_some(meeting_moment),
            in_person => full, instructions => full.then_some("Bring a real situation."),
            check_in => vec![context! { name => "Zoé", me => false, table => full.then_some(table), text => "Call | 2027-01-31", field => full.then(|| field.clone()) }],
            abandon_request => full.then_some("Zoé asked to abandon this session."),
        };
        match name {
            "session.html" => context! { no_group => !full, p => panel, ..session },
            "session_panel.html" => context! { p => panel, ..session },
            "staff.html" | "staff_dashboard.html" => context! {
                grades_failed => full,
                gradebook => full.then(|| context! {
                    checked => "1 Dec 2026, 08:05 UTC", error => "HTTP 503: offline",
                    rows => vec![context! { person => "u1", name => "Ada", ours_key => "delivered", ours => "sent to the gradebook", lms_key => "graded", lms => "1 / 1" }],
                }),
                sessions => if full { vec![context! { group => "Ada, Zoé", status => "completed", status_key => "completed", practice => Some(1), spent => Some("1 h 05 min"), updated => Some(moment(Locale::En, 1_796_601_600)), grades => vec![context! { key => "failed", text => "Ada: not accepted by the LMS (HTTP 400: not gradable)" }] }] } else { vec![] },
                manage => full,
                roster => vec![context! { id => "u1", name => "Ada", email => full.then_some("ada@example.org"), role => "learner", status => "Active", tags => "", launched => full, pairable => true }],
                roster_total => 1, roster_page => 0, roster_pages => if full { 3 } else { 1 },
                module_title => "Module 1",
                roster_nrps => full, last_sync => full.then(|| moment(Locale::En, 1_796_601_600)),
                sync_error => full.then_some("timeout, see `binome platform list`"), sync_error_at => full.then(|| moment(Locale::En, 1_796_601_000)),
                names_missing => full, learners_launched => 1, staff_launched => 1, follow_up => full,
                tag_options => "sector: health", policy => "keep", staff_links => 0,
                draft => full.then(|| plan.clone()), published => full.then(|| plan.clone()),
                learners => people.clone(),
                events => if full { vec![context! { actor => "Ada", what => "swapped Ada and Zoé", at => moment(Locale::En, 1_796_601_600) }] } else { vec![] },
                ..session
            },
            "overview.html" => context! {
                token => "tok", course => full.then_some("Course"),
                last_sync => full.then_some("1 Dec 2026, 08:05 UTC"),
                sync_error => full.then_some("timeout"), sync_error_at => full.then_some("1 Dec 2026, 08:00 UTC"),
                modules => if full { vec!["Module 1", "Module 2"] } else { vec![] },
                chart => if full { vec![context! { title => "Module 1", figures => "1 completed", done => 1, going => 1, idle => 0, y_title => 40, y_bar => 46, y_counts => 78, w_done => 150, x_going => 150, w_going => 150, x_idle => 300, w_idle => 0 }] } else { vec![] },
                chart_width => 300, chart_height => 90, bar_height => 18, chart_summary => "Module 1: 1 completed",
                learners => if full { vec![context! { name => "Ada", cells => vec![context! { key => "completed", progress => "completed", grouped => true, partners => "Zoé" }, context! { key => "not_started", progress => "not started", grouped => false, partners => "" }] }] } else { vec![] },
                learners_total => 1, page => 0, pages => if full { 2 } else { 1 },
                idle => if full { vec![context! { title => "Module 2", id => "2", count => 1, more => 3, who => vec!["Ada"] }, context! { title => "Module 1", id => "1", count => 0, more => 0, who => Vec::<String>::new() }] } else { vec![] },
                ..session
            },
            "learner.html" => context! {
                // Published (full) shows the summary; otherwise the form.
                tag_options => vec![context! { category => Some("sector"), tags => vec![context! { tag => "sector: health", label => "health", checked => true }] }, context! { category => None::<&str>, tags => vec![context! { tag => "Nights", label => "Nights", checked => false }] }],
                my_tags => if full { vec![context! { category => Some("sector"), labels => "health" }, context! { category => None::<&str>, labels => "Nights" }] } else { vec![] },
                partners => if full { vec![context! { name => "Zoé", picture => Some("https://example.org/z.png"), email => Some("zoe@example.org") }] } else { vec![] },
                trio => full, published => full,
                ..session
            },
            "activity_setup.html" => {
                let form = crate::activity::form::ActivityForm::of(&Default::default(), &[]);
                let problems = if full {
                    vec![crate::activity::form::FormProblem::MissingTitle]
                } else {
                    vec![]
                };
                let mode = if full {
                    crate::web::activity_view::SetupMode::DeepLink
                } else {
                    crate::web::activity_view::SetupMode::Edit
                };
                let accepts = crate::web::activity_view::Accepts {
                    resource_link: full,
                    lineitem: !full,
                };
                let extra = crate::web::activity_view::setup_context(
                    Locale::En,
                    mode,
                    &form,
                    &problems,
                    true,
                    accepts,
                );
                context! { ..session, ..extra }
            }
            "error.html" => context! {
                heading => "h", what => "w <b>", check => if full { "run `binome x` & see" } else { "" }, code => "c",
                command => full.then_some("binome platform approve 3"),
                error_id => full.then_some("abc"), show_help => full, reopen_helps => !full,
                relaunch => if full { vec![("iss".to_string(), "x".to_string())] } else { vec![] },
                reopen => !full,
            },
            "autopost.html" => context! {
                message => "m", action => "https://lms.example/return", fields => vec![("JWT".to_string(), "j".to_string())],
            },
            "storage.html" => context! {
                message => "m", mode => "put", target => "_parent", origin => "https://lms.example",
                key => "k", value => "v", next => "/n", fields => Vec::<(String, String)>::new(),
                relaunch => vec![("iss".to_string(), "x".to_string())],
            },
            "register.html" => context! {
                invited => full, invite => full.then_some("inv"),
                product => full.then_some("moodle 4.5"), issuer => "https://lms.example", account => full.then_some("School"),
                existing => if full { 2 } else { 0 },
                scopes => vec![context! { scope => "s", text => "why", offered => full }],
                claims => vec![context! { name => "email", text => "why" }],
                messages => vec![context! { kind => "LtiResourceLinkRequest", text => "why", offered => full }],
                configuration_url => "https://lms.example/conf", registration_token => full.then_some("tok"), proof => "p",
            },
            "registered.html" => context! {
                pending => !full, moodle => full, product => full.then_some("moodle 4.5"), issuer => "https://lms.example",
                client_id => full.then_some("c"), deployment => full.then_some("1"),
            },
            "declare.html" => context! {
                others => if full { people.clone() } else { vec![] },
                declared => if full { vec![context! { id => 1, name => "Zoé" }] } else { vec![] },
                next => full.then_some("u2"), search => full.then_some("Zo"), first_page => !full,
                at_limit => full,
                ..session
            },
            _ => session,
        }
    }

    #[test]
    fn every_template_renders_in_both_languages() {
        let p = Pages::new("http://tool.example").unwrap();
        for (name, _) in TEMPLATES {
            for l in Locale::ALL {
                for full in [true, false] {
                    let html = p
                        .try_render(name, l, sample(name, full))
                        .unwrap_or_else(|e| panic!("{name} ({}, full: {full}): {e:#}", l.code()));
                    assert!(
                        !html.contains(['\u{2068}', '\u{2069}']),
                        "{name}: no isolation marks"
                    );
                }
            }
        }
        let fr = p
            .render(
                "learner.html",
                Locale::Fr,
                context! { name => "<b>Zoé</b>", ..sample("learner.html", true) },
            )
            .unwrap();
        assert!(
            fr.contains("Bonjour &lt;b&gt;Zoé") && !fr.contains("<b>"),
            "names are escaped: {fr}"
        );
        let error = p
            .render("error.html", Locale::En, sample("error.html", true))
            .unwrap();
        assert!(
            error.contains("run <code>binome x</code> &amp; see") && error.contains("w &lt;b&gt;"),
            "backticks become code, the rest is escaped: {error}"
        );
        let staff = p
            .render("staff.html", Locale::Fr, sample("staff.html", true))
            .unwrap();
        assert!(staff.contains("gardé depuis Module 1"), "{staff}");
        assert!(
            staff.contains("<time datetime=\"2026-12-07T00:00:00Z\">7 Dec 2026, 00:00 UTC</time>"),
            "{staff}"
        );
        assert!(staff.contains("Lignes non retenues :"), "{staff}");
    }

    /// Every `t.id` and `tr("id"` of every file in `src/web/templates` is a message of both
    /// languages, and every file there is compiled into the binary.
    #[test]
    fn templates_name_only_messages_of_both_languages() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/templates");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let src = std::fs::read_to_string(&path).unwrap();
            assert!(
                TEMPLATES.iter().any(|(n, s)| *n == name && *s == src),
                "{name} is not in TEMPLATES"
            );
            files.push((name, src));
        }
        assert_eq!(files.len(), TEMPLATES.len());
        let mut seen = 0;
        let mut env = Environment::new();
        for (name, src) in &files {
            env.add_template(name, src).unwrap();
            let tmpl = env.get_template(name).unwrap();
            let used = messages_used(src, &tmpl.undeclared_variables(true)).unwrap();
            seen += used.0.len() + used.1.len();
            for l in Locale::ALL {
                for id in &used.0 {
                    assert!(l.lookup(id, &[]).is_ok(), "{name}: t.{id} in {}", l.code());
                }
                for id in &used.1 {
                    assert!(l.has(id), "{name}: tr(\"{id}\") in {}", l.code());
                }
            }
        }
        assert!(seen > 100, "the scan finds the messages ({seen})");
    }

    #[test]
    fn broken_templates_and_missing_messages_stop_the_pages() {
        let base = "http://tool.example";
        let compile = Pages::with_templates(base, &[("x.html", "{% if %}")]);
        assert!(
            matches!(compile, Err(PagesError::Compile { .. })),
            "{:?}",
            compile.err()
        );
        for src in [
            "{{ t.no_such_message }}",
            "{{ tr(\"no_such_message\", a=1) }}",
            "{{ t.pairs_kept_from }}",
            "{{ tr(id) }}",
        ] {
            let r = Pages::with_templates(base, &[("x.html", src)]);
            assert!(
                matches!(r, Err(PagesError::Message { .. })),
                "{src}: {:?}",
                r.err()
            );
        }
    }

    #[test]
    fn rendering_is_strict() {
        let p = Pages::with_templates(
            "http://tool.example",
            &[
                ("v.html", "{{ missing }}"),
                ("if.html", "{% if missing %}x{% endif %}"),
                ("tr.html", "{{ tr(\"pairs_kept_from\", module=m) }}"),
                ("t.html", "{{ t.colon }}|{{ t.pairs_title }}"),
                (
                    "n.html",
                    "{{ tr(\"event_upload_links\", added=n, unused=0) }}",
                ),
            ],
        )
        .unwrap();
        assert!(p.try_render("v.html", Locale::En, context! {}).is_err());
        assert!(p.try_render("if.html", Locale::En, context! {}).is_err());
        assert!(
            p.try_render("tr.html", Locale::En, context! {}).is_err(),
            "undefined variable"
        );
        assert!(
            p.try_render("tr.html", Locale::En, context! { m => () })
                .is_err(),
            "none"
        );
        assert_eq!(
            p.try_render("tr.html", Locale::Fr, context! { m => "M<1>" })
                .unwrap(),
            "gardé depuis M&lt;1&gt;"
        );
        assert_eq!(
            p.try_render("t.html", Locale::Fr, context! {}).unwrap(),
            " :|Binômes"
        );
        assert_eq!(
            p.try_render("t.html", Locale::En, context! {}).unwrap(),
            ":|Pairs"
        );
    }

    #[test]
    fn csp_lists_platform_origins_and_drops_injections() {
        let h = security_headers(&[
            "https://lms.example".into(),
            "https://x; script-src *".into(),
        ]);
        let csp = &h[0].1;
        assert!(
            csp.ends_with(
                "form-action 'self' https://lms.example; frame-ancestors 'self' https://lms.example"
            ),
            "{csp}"
        );
    }
}
