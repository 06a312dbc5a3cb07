//! The sign-in and sign-up pages.

use maud::{Markup, html};

use crate::layout::{FormErrors, csrf_input, described, error_for, invalid, layout};
use crate::session::Ctx;

#[derive(Debug, Clone, Default)]
pub(crate) struct AccountForm {
    pub(crate) name: String,
    pub(crate) email: String,
}

pub(crate) fn sign_in(ctx: &Ctx, form: &AccountForm, errors: &FormErrors, notice: Option<&str>) -> Markup {
    let body = html! {
        section.auth-card aria-labelledby="auth-heading" {
            h1 #auth-heading { "Sign in" }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            @if let Some(g) = &errors.general { p.form-error #form-error role="alert" { (g) } }
            form #sign-in-form method="post" action="/sign-in" novalidate {
                (csrf_input(ctx))
                (text_field("email", "email", "Email", "email", &form.email, errors.get("email"), "email"))
                (text_field("password", "password", "Password", "password", "", errors.get("password"), "current-password"))
                button.btn.btn-primary #sign-in-submit type="submit" { "Sign in" }
            }
            p.switch { "New here? " a #to-sign-up href="/sign-up" { "Create an account" } }
        }
    };
    layout("Sign in", ctx, body)
}

pub(crate) fn sign_up(ctx: &Ctx, form: &AccountForm, errors: &FormErrors) -> Markup {
    let body = html! {
        section.auth-card aria-labelledby="auth-heading" {
            h1 #auth-heading { "Create your account" }
            @if let Some(g) = &errors.general { p.form-error #form-error role="alert" { (g) } }
            form #sign-up-form method="post" action="/sign-up" novalidate {
                (csrf_input(ctx))
                (text_field("name", "name", "Name", "text", &form.name, errors.get("name"), "name"))
                (text_field("email", "email", "Email", "email", &form.email, errors.get("email"), "email"))
                (text_field("password", "password", "Password (at least 8 characters)", "password", "", errors.get("password"), "new-password"))
                // app.js puts the browser's zone here; without script it stays UTC.
                input #sign-up-time-zone type="hidden" name="time_zone" value="UTC" data-detect-time-zone;
                button.btn.btn-primary #sign-up-submit type="submit" { "Create account" }
            }
            p.switch { "Already have an account? " a #to-sign-in href="/sign-in" { "Sign in" } }
        }
    };
    layout("Sign up", ctx, body)
}

#[allow(clippy::too_many_arguments)]
fn text_field(
    id: &str,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    err: Option<&str>,
    autocomplete: &str,
) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value) autocomplete=(autocomplete) required
                aria-invalid=[invalid(err)] aria-describedby=[described(id, err)];
            (error_for(id, err))
        }
    }
}
