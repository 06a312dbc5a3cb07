//! The account settings page: name and email shown, the time zone editable.
//! A page of its own so that later account actions (password, export,
//! deletion) get their sections here.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;
use todo_domain::User;

use crate::api::BackendError;
use crate::extract::{PageForm, PageQuery};
use crate::layout::{FormErrors, csrf_input, described, error_for, invalid, layout};
use crate::page::{PageResult, errors_from, html, redirect, session, signed_in_post};
use crate::session::Ctx;
use crate::state::WebState;

pub(crate) fn routes() -> Router<WebState> {
    Router::new().route("/settings", get(settings_page).post(save_settings))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SettingsQuery {
    notice: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SettingsForm {
    csrf: String,
    time_zone: String,
}

async fn settings_page(State(state): State<WebState>, ctx: Ctx, PageQuery(q): PageQuery<SettingsQuery>) -> PageResult {
    session(&ctx)?;
    let user = state.backend.me(&ctx.caller()).await?;
    let notice = (q.notice == "saved").then_some("Settings saved.");
    let zone = user.time_zone.clone();
    Ok(html(StatusCode::OK, settings_view(&ctx, &user, &zone, &FormErrors::default(), notice)))
}

async fn save_settings(State(state): State<WebState>, ctx: Ctx, PageForm(form): PageForm<SettingsForm>) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let caller = ctx.caller();
    let errors = match state.backend.update_me(&caller, &json!({"time_zone": form.time_zone.trim()})).await {
        Ok(_) => return Ok(redirect("/settings?notice=saved")),
        Err(e @ BackendError::Invalid { .. }) => errors_from(&e),
        Err(e) => return Err(e.into()),
    };
    let user = state.backend.me(&caller).await?;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, settings_view(&ctx, &user, &form.time_zone, &errors, None)))
}

fn settings_view(ctx: &Ctx, user: &User, zone: &str, errors: &FormErrors, notice: Option<&str>) -> Markup {
    let err = errors.get("time_zone");
    let names = todo_domain::zone::time_zone_names();
    let known = names.iter().any(|n| n == zone);
    let body = html! {
        section.auth-card.settings aria-labelledby="settings-heading" {
            h1 #settings-heading { "Settings" }
            @if let Some(n) = notice { p.notice #settings-notice role="status" { (n) } }
            @if let Some(g) = &errors.general { p.form-error role="alert" { (g) } }
            dl.account-facts {
                dt { "Name" } dd #settings-name { (user.name) }
                dt { "Email" } dd #settings-email { (user.email) }
            }
            form #settings-form method="post" action="/settings" {
                (csrf_input(ctx))
                div.field {
                    label for="settings-time-zone" { "Time zone" }
                    select #settings-time-zone name="time_zone"
                        aria-invalid=[invalid(err)] aria-describedby=[described("settings-time-zone", err)] {
                        @if !known { option value=(zone) selected { (zone) } }
                        @for n in &names { option value=(n) selected[n == zone] { (n) } }
                    }
                    p.hint { "Due dates, “today” and “overdue”, and what the assistant understands by “tomorrow” follow this zone." }
                    (error_for("settings-time-zone", err))
                }
                button.btn.btn-primary #settings-save type="submit" { "Save" }
                " "
                a.btn.btn-ghost #settings-back href="/tasks" { "Back to your tasks" }
            }
        }
    };
    layout("Settings", ctx, body)
}
