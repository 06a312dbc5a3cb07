//! HTML, rendered with maud (every interpolation is escaped). No inline script or
//! style: behaviour lives in /assets/app.js and looks in /assets/app.css.
//!
//! The page frame, the error page and the form helpers every resource uses.

use maud::{DOCTYPE, Markup, html};

use crate::assets;
use crate::session::{CSRF_FIELD, Ctx};

/// Errors of one form: a general message and messages by field.
#[derive(Debug, Clone, Default)]
pub(crate) struct FormErrors {
    pub(crate) general: Option<String>,
    pub(crate) fields: Vec<(String, String)>,
}

impl FormErrors {
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub(crate) fn push(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.fields.push((field.to_string(), message.into()));
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.general.is_none() && self.fields.is_empty()
    }
}

pub(crate) fn layout(title: &str, ctx: &Ctx, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="csrf-token" content=(ctx.csrf());
                title { (title) " · Todo" }
                meta name="theme-color" content=(assets::THEME_COLOR);
                link rel="icon" href=(assets::url("icon.svg")) type="image/svg+xml";
                link rel="manifest" href="/manifest.webmanifest";
                link rel="apple-touch-icon" href=(assets::url("icon-192.png"));
                link rel="stylesheet" href=(assets::url("app.css"));
                script src=(assets::url("app.js")) defer {}
            }
            body {
                a.skip-link href="#main" { "Skip to content" }
                header.topbar {
                    a.brand href="/" { span.logo aria-hidden="true" { "✓" } " Todo" }
                    @if let Some(s) = &ctx.session {
                        div.account {
                            span.who { "Signed in as " strong { (s.name) } }
                            a.btn.btn-ghost #settings-link href="/settings" { "Settings" }
                            form method="post" action="/sign-out" {
                                (csrf_input(ctx))
                                button.btn.btn-ghost #sign-out type="submit" { "Sign out" }
                            }
                            form method="post" action="/sign-out-everywhere" {
                                (csrf_input(ctx))
                                button.btn.btn-ghost #sign-out-everywhere type="submit"
                                    title="Also sign out on every other browser and device" { "Sign out everywhere" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

pub(crate) fn csrf_input(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(ctx.csrf()); }
}

pub(crate) fn error_for(id: &str, msg: Option<&str>) -> Markup {
    html! { @if let Some(m) = msg { p.field-error id=(format!("{id}-error")) { (m) } } }
}

pub(crate) fn described(id: &str, msg: Option<&str>) -> Option<String> {
    msg.map(|_| format!("{id}-error"))
}

pub(crate) fn invalid(msg: Option<&str>) -> Option<&'static str> {
    msg.map(|_| "true")
}

// ---------------------------------------------------------------- errors

pub(crate) fn error_page(ctx: &Ctx, title: &str, message: &str, retry: bool) -> Markup {
    let body = html! {
        section.error-card aria-labelledby="error-heading" {
            h1 #error-heading { (title) }
            p { (message) }
            p.actions {
                @if retry { a.btn.btn-primary #retry href="" { "Try again" } " " }
                a.btn #go-home href="/" { "Go to your tasks" }
            }
        }
    };
    layout(title, ctx, body)
}
