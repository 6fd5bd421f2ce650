//! Page rendering: the minijinja templates compiled into the binary, and the headers every
//! page carries (CSP `frame-ancestors` limited to the registered platforms, no caching).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use minijinja::{Environment, Value, context};

use crate::coaching::method::Step;
use crate::i18n::Locale;

/// The compiled templates.
pub struct Pages {
    env: Environment<'static>,
    base: String,
    /// Texts and method steps per locale (English, French), converted once.
    texts: [(Value, Value); 2],
}

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("error.html", include_str!("templates/error.html")),
    ("method.html", include_str!("templates/method.html")),
    ("learner.html", include_str!("templates/learner.html")),
    ("staff.html", include_str!("templates/staff.html")),
    ("about.html", include_str!("templates/about.html")),
    ("deep_link.html", include_str!("templates/deep_link.html")),
    ("autopost.html", include_str!("templates/autopost.html")),
    ("storage.html", include_str!("templates/storage.html")),
    ("declare.html", include_str!("templates/declare.html")),
];

impl Pages {
    pub fn new(base: &str) -> Pages {
        let mut env = Environment::new();
        for (name, src) in TEMPLATES {
            // The templates are part of the binary and checked by the test suite.
            if let Err(e) = env.add_template(name, src) {
                tracing::error!(template = name, error = %e, "template does not compile");
            }
        }
        // Links are root-relative with the base URL's path, so pages work whatever host name
        // the browser used, and behind a reverse proxy that mounts the tool under a prefix.
        let path = url::Url::parse(base)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        let texts = [Locale::En, Locale::Fr]
            .map(|l| (Value::from_serialize(l.texts()), Value::from(steps(l))));
        Pages {
            env,
            base: path,
            texts,
        }
    }

    /// The path of the base URL ("" at the root), for links and redirects.
    pub fn base_path(&self) -> &str {
        &self.base
    }

    /// Renders a template with the locale's texts, the base URL and the given values.
    pub fn render(&self, name: &str, locale: Locale, values: Value) -> String {
        let (t, steps) = &self.texts[if locale == Locale::Fr { 1 } else { 0 }];
        let ctx = context! { t => t, lang => locale.code(), base => &self.base, steps => steps, ..values };
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => html,
            Err(e) => {
                tracing::error!(template = name, error = %e, "template failed");
                format!(
                    "<!doctype html><title>Binôme</title><p>{}</p>",
                    locale.t("internal_error")
                )
            }
        }
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

fn steps(locale: Locale) -> Vec<Value> {
    Step::ALL
        .iter()
        .map(|s| {
            let (lo, hi) = s.minutes();
            let time = if lo == hi { lo.to_string() } else { format!("{lo}–{hi}") };
            let (name, text) = match s {
                Step::Introduction => ("step_introduction", "step_introduction_text"),
                Step::Sharing => ("step_sharing", "step_sharing_text"),
                Step::Objectives => ("step_objectives", "step_objectives_text"),
                Step::Analysis => ("step_analysis", "step_analysis_text"),
                Step::Options => ("step_options", "step_options_text"),
                Step::Commitments => ("step_commitments", "step_commitments_text"),
            };
            context! { key => s.key(), name => locale.t(name), text => locale.t(text), time => time }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_in_both_languages() {
        let p = Pages::new("http://tool.example");
        for (name, _) in TEMPLATES {
            for l in [Locale::En, Locale::Fr] {
                let html = p.render(name, l, context! { heading => "h", what => "w", code => "c", fields => Vec::<(String, String)>::new(), relaunch => Vec::<(String, String)>::new() });
                assert!(
                    !html.contains("template failed") && !html.is_empty(),
                    "{name}"
                );
            }
        }
        let fr = p.render(
            "learner.html",
            Locale::Fr,
            context! { name => "<b>Zoé</b>" },
        );
        assert!(
            fr.contains("Bonjour &lt;b&gt;Zoé") && !fr.contains("<b>"),
            "names are escaped: {fr}"
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
