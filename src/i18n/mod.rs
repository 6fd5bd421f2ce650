//! The product's wording in French and English, as Fluent catalogues compiled into the
//! binary (`src/i18n/locales/<lang>/<area>.ftl`). The LMS decides the language: the launch's
//! `launch_presentation.locale`, else the browser's `Accept-Language`.
//!
//! One naming rule everywhere: message ids are snake_case and written the same in Rust
//! (`l.t("pairs_title")`, `l.tr("event_swap", &[("a", a.into()), ("b", b.into())])`), in
//! templates (`{{ t.pairs_title }}`, `{{ tr("event_swap", a=x, b=y) }}`) and in the
//! catalogues (`pairs_title = Pairs`); variables are snake_case too (`$client_id`).
//! Placeables are not wrapped in Unicode isolation marks, so texts stay plain.
//!
//! Adding a message: write it in the file of the same name under `en/` and `fr/` (a new
//! file goes in [`FILES`]); numbers given as [`Arg::Number`] choose plural forms
//! (`{ $n -> [one] … *[other] … }`). The tests fail when a language lacks a message, when
//! the two languages disagree on a message's variables, or when a template or a literal
//! `t("…")` / `tr("…")` in `src/` names a message that does not exist.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language the interface speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "fr")]
    Fr,
}

impl Locale {
    /// Every language, in the order of the catalogues.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Fr];

    /// From an LMS locale such as `fr`, `fr-FR`, `fr_CA` or `en-US`; English otherwise.
    pub fn from_tag(tag: Option<&str>) -> Locale {
        match tag.map(|t| t.trim().to_ascii_lowercase()) {
            Some(t) if t == "fr" || t.starts_with("fr-") || t.starts_with("fr_") => Locale::Fr,
            _ => Locale::En,
        }
    }

    /// From an `Accept-Language` header: the first of French or English listed (in the
    /// header's order, as Fluent negotiates: browsers list languages by preference), a
    /// regional tag (`fr-CA`) counting for its language; English otherwise.
    pub fn from_accept_language(header: Option<&str>) -> Locale {
        let Some(h) = header else { return Locale::En };
        let requested = fluent_langneg::parse_accepted_languages(h);
        let available = Locale::ALL.map(|l| l.langid());
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            None,
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        match chosen.first() {
            Some(lang) if lang.language.as_str() == "fr" => Locale::Fr,
            _ => Locale::En,
        }
    }

    /// The language as Unicode names it (our two codes always parse).
    fn langid(self) -> unic_langid::LanguageIdentifier {
        self.code().parse().unwrap_or_default()
    }

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    fn index(self) -> usize {
        match self {
            Locale::En => 0,
            Locale::Fr => 1,
        }
    }

    /// One message, formatted with its variables; an error when the message does not exist
    /// in this language or a variable it uses is not given.
    pub fn lookup(self, id: &str, args: &[(&str, Arg<'_>)]) -> Result<String, TextError> {
        let err = |detail: String| TextError {
            id: id.to_string(),
            locale: self.code(),
            detail,
        };
        let catalogue = &catalogues().map_err(|e| err(e.to_string()))?[self.index()];
        let pattern = catalogue
            .bundle
            .get_message(id)
            .and_then(|m| m.value())
            .ok_or_else(|| err("no such message".into()))?;
        let fluent_args = (!args.is_empty()).then(|| {
            let mut a = FluentArgs::with_capacity(args.len());
            for (name, value) in args {
                a.set(*name, value.to_fluent());
            }
            a
        });
        let mut errors = Vec::new();
        let text = catalogue
            .bundle
            .format_pattern(pattern, fluent_args.as_ref(), &mut errors);
        if errors.is_empty() {
            Ok(text.into_owned())
        } else {
            let detail = errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            Err(err(detail))
        }
    }

    /// A message without variables. A missing one is logged and shows as its id, so a gap
    /// shows rather than breaks a page; the test suite makes sure there is none.
    pub fn t(self, id: &str) -> String {
        self.tr(id, &[])
    }

    /// A message with named variables, e.g.
    /// `l.tr("csv_not_in_roster", &[("value", cell.into())])`. Same fallback as [`t`](Self::t).
    pub fn tr(self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.lookup(id, args).unwrap_or_else(|e| {
            tracing::error!(error = %e, "missing text");
            id.to_string()
        })
    }

    /// Whether the message exists in this language (with or without variables).
    pub fn has(self, id: &str) -> bool {
        catalogues().is_ok_and(|c| c[self.index()].bundle.has_message(id))
    }

    /// The ids of this language's messages.
    pub fn ids(self) -> BTreeSet<&'static str> {
        catalogues()
            .map(|c| c[self.index()].ids.clone())
            .unwrap_or_default()
    }

    /// A moment as the interface shows it: UTC, to the minute, with the month's name in
    /// this language ("1 Dec 2026, 08:05 UTC", "1 déc. 2026 à 08:05 UTC").
    pub fn format_time(self, unix_secs: i64) -> String {
        let Ok(at) = time::OffsetDateTime::from_unix_timestamp(unix_secs) else {
            return unix_secs.to_string();
        };
        let month = self.tr("month_short", &[("month", u8::from(at.month()).into())]);
        self.tr(
            "datetime_utc",
            &[
                ("day", at.day().to_string().into()),
                ("month", month.into()),
                ("year", at.year().to_string().into()),
                (
                    "time",
                    format!("{:02}:{:02}", at.hour(), at.minute()).into(),
                ),
            ],
        )
    }
}

/// The value of a message variable: a text, or a number (numbers choose plural forms).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    Text(Cow<'a, str>),
    Number(i64),
}

impl Arg<'_> {
    fn to_fluent(&self) -> FluentValue<'_> {
        match self {
            Arg::Text(s) => FluentValue::from(s.as_ref()),
            Arg::Number(n) => FluentValue::from(*n),
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Text(Cow::Owned(s))
    }
}

macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            fn from(n: $t) -> Self {
                Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
number_arg!(i32, i64, u8, u16, u32, u64, usize);

/// A message that could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message {id:?} ({locale}): {detail}")]
pub struct TextError {
    pub id: String,
    pub locale: &'static str,
    pub detail: String,
}

/// The catalogues could not be loaded (a syntax error or a duplicate id in a `.ftl` file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalogue {file} ({locale}): {detail}")]
pub struct CatalogueError {
    pub file: &'static str,
    pub locale: &'static str,
    pub detail: String,
}

/// The catalogue files of every language: `locales/<lang>/<name>.ftl`, the same names in
/// each (a file missing in one language does not compile).
macro_rules! catalogue_files {
    ($($name:literal),* $(,)?) => {
        &[$(
            (
                $name,
                [
                    include_str!(concat!("locales/en/", $name, ".ftl")),
                    include_str!(concat!("locales/fr/", $name, ".ftl")),
                ],
            ),
        )*]
    };
}

/// (file name, [English source, French source]).
pub const FILES: &[(&str, [&str; 2])] = catalogue_files!(
    "pages",
    "staff",
    "pairing",
    "refusals",
    "coaching",
    "live",
    "activity",
    "dashboard",
    "registration",
    "grades"
);

/// One language's messages.
struct Catalogue {
    bundle: FluentBundle<FluentResource>,
    ids: BTreeSet<&'static str>,
}

/// Loads the catalogues now: start-up calls this, so a broken `.ftl` file stops the server
/// rather than a page.
pub fn check() -> Result<(), CatalogueError> {
    catalogues().map(|_| ()).map_err(Clone::clone)
}

/// Both catalogues, parsed once; an error names the file and what is wrong.
fn catalogues() -> Result<&'static [Catalogue; 2], &'static CatalogueError> {
    static CATALOGUES: LazyLock<Result<[Catalogue; 2], CatalogueError>> =
        LazyLock::new(|| Ok([load(Locale::En)?, load(Locale::Fr)?]));
    CATALOGUES.as_ref()
}

fn load(locale: Locale) -> Result<Catalogue, CatalogueError> {
    let lang: unic_langid::LanguageIdentifier =
        locale.code().parse().map_err(|e| CatalogueError {
            file: "-",
            locale: locale.code(),
            detail: format!("{e}"),
        })?;
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    bundle.set_use_isolating(false);
    let mut ids = BTreeSet::new();
    for (file, sources) in FILES {
        let source = sources[locale.index()];
        let err = |detail: String| CatalogueError {
            file,
            locale: locale.code(),
            detail,
        };
        let resource = FluentResource::try_new(source.to_string())
            .map_err(|(_, errors)| err(format!("{errors:?}")))?;
        // The sources are 'static: read the ids from a parse of their own.
        let ast = fluent_syntax::parser::parse(source).map_err(|(_, e)| err(format!("{e:?}")))?;
        for entry in ast.body {
            if let fluent_syntax::ast::Entry::Message(m) = entry {
                ids.insert(m.id.name);
            }
        }
        bundle.add_resource(resource).map_err(|errors| {
            err(errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "))
        })?;
    }
    Ok(Catalogue { bundle, ids })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::BTreeMap;

    #[test]
    fn catalogues_load_and_every_file_is_compiled_in() {
        check().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/i18n/locales");
        for l in Locale::ALL {
            let mut on_disk: Vec<String> = std::fs::read_dir(root.join(l.code()))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect();
            on_disk.sort();
            let mut listed: Vec<String> = FILES.iter().map(|(n, _)| format!("{n}.ftl")).collect();
            listed.sort();
            assert_eq!(on_disk, listed, "{}", l.code());
        }
    }

    /// The variables a message uses, wherever they are (selectors, variants, calls).
    fn variables(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        fn inline(e: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
            match e {
                ast::InlineExpression::VariableReference { id } => {
                    out.insert(id.name.to_string());
                }
                ast::InlineExpression::Placeable { expression } => expr(expression, out),
                ast::InlineExpression::FunctionReference { arguments, .. }
                | ast::InlineExpression::TermReference {
                    arguments: Some(arguments),
                    ..
                } => {
                    arguments.positional.iter().for_each(|a| inline(a, out));
                    arguments.named.iter().for_each(|a| inline(&a.value, out));
                }
                _ => {}
            }
        }
        fn expr(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
            match e {
                ast::Expression::Inline(i) => inline(i, out),
                ast::Expression::Select { selector, variants } => {
                    inline(selector, out);
                    for v in variants {
                        variables(&v.value, out);
                    }
                }
            }
        }
        for el in &p.elements {
            if let ast::PatternElement::Placeable { expression } = el {
                expr(expression, out);
            }
        }
    }

    fn messages(l: Locale) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        for (_, sources) in FILES {
            let res = fluent_syntax::parser::parse(sources[l.index()]).unwrap();
            for entry in res.body {
                if let ast::Entry::Message(m) = entry {
                    let mut vars = BTreeSet::new();
                    if let Some(p) = &m.value {
                        variables(p, &mut vars);
                    }
                    out.insert(m.id.name.to_string(), vars);
                }
            }
        }
        out
    }

    #[test]
    fn both_languages_have_the_same_messages_and_variables() {
        let (en, fr) = (messages(Locale::En), messages(Locale::Fr));
        let only_en: Vec<_> = en.keys().filter(|k| !fr.contains_key(*k)).collect();
        let only_fr: Vec<_> = fr.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(
            only_en.is_empty() && only_fr.is_empty(),
            "only in English: {only_en:?}; only in French: {only_fr:?}"
        );
        for (id, vars) in &en {
            assert_eq!(vars, &fr[id], "variables of {id}");
        }
        assert_eq!(Locale::En.ids(), Locale::Fr.ids());
        assert_eq!(Locale::En.ids().len(), en.len());
    }

    /// The messages other layers wire in: they exist with exactly these variables.
    #[test]
    fn announced_messages_exist_with_their_variables() {
        let announced: &[(&str, &[&str])] = &[
            ("note_no_hierarchy", &[]),
            ("note_new_partner", &[]),
            ("note_repeat_partner", &[]),
            ("note_late_joiner", &[]),
            ("note_orphan_repaired", &[]),
            ("note_joined_trio", &[]),
            ("note_trio_reopened", &[]),
            ("note_changed_by_instructor", &[]),
            ("note_lock_dropped", &["reason"]),
            ("lock_reason_size", &[]),
            ("lock_reason_unknown_learner", &[]),
            ("lock_reason_unavailable", &[]),
            ("lock_reason_duplicate", &[]),
            ("lock_reason_constraint", &[]),
            ("lock_reason_second_trio", &[]),
            ("lock_reason_trio_not_needed", &[]),
            ("pairs_kept_from", &["module"]),
            ("csv_not_two_values", &[]),
            ("csv_same_person", &[]),
            ("csv_not_in_roster", &["value"]),
            ("event_settings", &["policy"]),
            ("event_upload_links", &["added", "unused"]),
            ("event_propose", &["groups", "unplaced"]),
            ("event_swap", &["a", "b"]),
            ("event_lock", &["members"]),
            ("event_unlock", &["members"]),
            ("event_split", &["members"]),
            ("event_exclude", &["a", "b"]),
            ("event_publish", &["module"]),
            ("event_declare", &[]),
            ("notice_swap_same_person", &[]),
            ("notice_declare_unknown", &[]),
            ("notice_declare_limit", &["max"]),
            ("notice_refused_conflict", &[]),
            ("notice_refused_constraint", &[]),
            ("notice_refused_not_placed", &[]),
            ("notice_refused_unknown_learner", &[]),
            ("notice_refused_no_draft", &[]),
            ("forbidden_not_staff", &[]),
            ("forbidden_not_manager", &[]),
            ("forbidden_learner_only", &[]),
            ("forbidden_deep_link_only", &[]),
        ];
        for l in Locale::ALL {
            let all = messages(l);
            for (id, vars) in announced {
                let want: BTreeSet<String> = vars.iter().map(|v| v.to_string()).collect();
                assert_eq!(all.get(*id), Some(&want), "{id} ({})", l.code());
                let args: Vec<(&str, Arg<'_>)> = vars.iter().map(|v| (*v, Arg::from(2))).collect();
                let text = l.lookup(id, &args).unwrap();
                assert!(!text.is_empty() && !text.contains('{'), "{id}: {text}");
            }
        }
    }

    /// Every literal id that Rust code passes to `t(` or `tr(` is a message of both languages.
    #[test]
    fn rust_code_names_only_existing_messages() {
        let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut seen = 0;
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                if p.extension().is_none_or(|x| x != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                // web::error's `plain` and `checked` word a refusal whose message id is its
                // code, given as their second argument; `checked` says `<id>_check` too.
                for call in [".t(", ".tr(", "plain(l,", "checked(l,"] {
                    for (at, _) in text.match_indices(call) {
                        let rest = text[at + call.len()..].trim_start();
                        let Some(lit) = rest.strip_prefix('"') else {
                            continue;
                        };
                        let Some((id, _)) = lit.split_once('"') else {
                            continue;
                        };
                        // Ids of deliberately missing messages start with `no_such_`.
                        if id.is_empty()
                            || id.starts_with("no_such_")
                            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        {
                            continue;
                        }
                        seen += 1;
                        let check = format!("{id}_check");
                        let ids = [id, check.as_str()];
                        let ids = if call == "checked(l," {
                            &ids[..]
                        } else {
                            &ids[..1]
                        };
                        for (l, id) in Locale::ALL
                            .iter()
                            .flat_map(|l| ids.iter().map(move |i| (l, i)))
                        {
                            assert!(l.has(id), "{}: {id} ({})", p.display(), l.code());
                        }
                    }
                }
            }
        }
        assert!(seen > 20, "the scan finds the calls ({seen})");
    }

    #[test]
    fn variables_are_interpolated_without_isolation_marks() {
        let fr = Locale::Fr.tr("event_swap", &[("a", "Ada".into()), ("b", "Zoé".into())]);
        assert_eq!(fr, "a échangé Ada et Zoé");
        let en = Locale::En.tr("csv_not_in_roster", &[("value", "x@example.org".into())]);
        assert_eq!(en, "x@example.org is not in the course roster");
        assert_eq!(Locale::Fr.t("colon"), " :");
        assert_eq!(
            Locale::En.tr(
                "event_upload_links",
                &[("added", 1.into()), ("unused", 3.into())]
            ),
            "uploaded hierarchical links: one link added, 3 lines not used"
        );
        assert_eq!(
            Locale::Fr.tr(
                "event_propose",
                &[("groups", 4.into()), ("unplaced", 0.into())]
            ),
            "a proposé des binômes : 4 groupes, tout le monde est placé"
        );
    }

    #[test]
    fn missing_messages_and_variables_are_errors() {
        assert!(Locale::En.lookup("no_such_message", &[]).is_err());
        assert!(
            Locale::Fr.lookup("pairs_kept_from", &[]).is_err(),
            "needs $module"
        );
        assert!(!Locale::En.has("no_such_message") && Locale::En.has("pairs_kept_from"));
        // The fallback shows the id rather than an empty text.
        assert_eq!(Locale::En.t("no_such_message"), "no_such_message");
    }

    #[test]
    fn times_are_written_in_each_language() {
        // 2026-12-01 08:05:59 UTC
        let t = 1_796_112_359;
        assert_eq!(Locale::En.format_time(t), "1 Dec 2026, 08:05 UTC");
        assert_eq!(Locale::Fr.format_time(t), "1 déc. 2026 à 08:05 UTC");
        assert_eq!(Locale::En.format_time(0), "1 Jan 1970, 00:00 UTC");
        assert_eq!(Locale::En.format_time(-1), "31 Dec 1969, 23:59 UTC");
        assert_eq!(
            Locale::Fr.format_time(951_782_400),
            "29 févr. 2000 à 00:00 UTC"
        );
        assert_eq!(Locale::En.format_time(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn locales_from_tags_and_headers() {
        assert_eq!(Locale::from_tag(Some("fr_CA")), Locale::Fr);
        assert_eq!(Locale::from_tag(Some("en-US")), Locale::En);
        assert_eq!(Locale::from_tag(None), Locale::En);
        assert_eq!(
            Locale::from_accept_language(Some("de, fr;q=0.8, en")),
            Locale::Fr
        );
        assert_eq!(Locale::from_accept_language(None), Locale::En);
    }

    #[test]
    fn accept_language_takes_the_first_known_language_listed() {
        let check = |header: &str, expected: Locale| {
            assert_eq!(
                Locale::from_accept_language(Some(header)),
                expected,
                "{header}"
            );
        };
        check("fr-CA,fr;q=0.9,en;q=0.8", Locale::Fr);
        check("en-US,en;q=0.9,fr;q=0.8", Locale::En);
        check("de-DE, de;q=0.9, fr-BE;q=0.5", Locale::Fr);
        check("FR", Locale::Fr);
        check(" de ,  en-GB ", Locale::En);
        check("de, it", Locale::En);
        check("", Locale::En);
        check("*", Locale::En);
        check("not a tag!, fr", Locale::Fr);
    }
}
