//! The account settings page: name and email shown, the time zone editable,
//! the password changed (every other session ends), sign out everywhere, the
//! data exported (a download) and imported (an upload), the account deleted.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;
use todo_domain::User;

use crate::api::BackendError;
use crate::extract::{PageForm, PageQuery};
use crate::layout::{FormErrors, csrf_input, described, error_for, invalid, layout};
use crate::page::{PageError, PageResult, errors_from, html, redirect, session, signed_in_post};
use crate::session::Ctx;
use crate::state::WebState;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/settings", get(settings_page).post(save_settings))
        .route("/settings/password", post(change_password))
        .route("/settings/export", get(export))
        .route("/settings/import", post(import).layer(DefaultBodyLimit::max(IMPORT_FORM_LIMIT_BYTES)))
        .route("/settings/delete", post(delete_account))
}

/// The API's import limit (8 MiB) and room for the form's other parts: a
/// larger file reaches the API, which refuses it with its own message.
const IMPORT_FORM_LIMIT_BYTES: usize = 8 * 1024 * 1024 + 64 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DeleteForm {
    csrf: String,
    password: String,
    confirm: String,
}

/// Which section of the page a failed form belongs to, so its errors show there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Section {
    #[default]
    Zone,
    Password,
    Import,
    Delete,
}

async fn rerender(state: &WebState, ctx: &Ctx, section: Section, errors: FormErrors) -> PageResult {
    let user = state.backend.me(&ctx.caller()).await?;
    let zone = user.time_zone.clone();
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, settings_view(ctx, &user, &zone, section, &errors, None)))
}

async fn change_password(
    State(state): State<WebState>,
    ctx: Ctx,
    PageForm(form): PageForm<PasswordForm>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    match state.backend.change_password(&ctx.caller(), &form.current_password, &form.new_password).await {
        Ok(()) => Ok(redirect("/settings?notice=password")),
        Err(e @ BackendError::Invalid { .. }) => rerender(&state, &ctx, Section::Password, errors_from(&e)).await,
        Err(e) => Err(e.into()),
    }
}

/// The API's export, passed on as a download.
async fn export(State(state): State<WebState>, ctx: Ctx) -> PageResult {
    session(&ctx)?;
    let document = state.backend.export(&ctx.caller()).await?;
    let name = format!("attachment; filename=\"todo-export-{}.json\"", chrono::Utc::now().format("%Y-%m-%d"));
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, name)],
        document,
    )
        .into_response())
}

/// The uploaded export file, sent to the API as it is. The CSRF token is a
/// field of the multipart form (before the file), checked before the file is
/// passed on.
async fn import(State(state): State<WebState>, ctx: Ctx, mut multipart: Multipart) -> PageResult {
    let unreadable = |_| PageError::BadRequest("The upload could not be read. Go back, reload the page and try again.");
    let mut csrf = String::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(unreadable)?,
            Some("file") => file = Some(field.bytes().await.map_err(unreadable)?),
            _ => {}
        }
    }
    signed_in_post(&ctx, &csrf)?;
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        let mut errors = FormErrors::default();
        errors.push("file", "Choose an export file (.json) to import.");
        return rerender(&state, &ctx, Section::Import, errors).await;
    };
    match state.backend.import(&ctx.caller(), file).await {
        Ok(_) => Ok(redirect("/settings?notice=imported")),
        Err(e @ BackendError::Invalid { .. }) => {
            let mut errors = FormErrors::default();
            if let BackendError::Invalid { detail, .. } = &e {
                errors.push("file", format!("Nothing was imported: {detail}"));
            }
            rerender(&state, &ctx, Section::Import, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes the account (confirmed by the password and a checkbox), then this
/// browser's session cookie: its token no longer works anyway.
async fn delete_account(State(state): State<WebState>, ctx: Ctx, PageForm(form): PageForm<DeleteForm>) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    if form.confirm != "yes" {
        let mut errors = FormErrors::default();
        errors.push("confirm", "Tick the box to confirm that everything is to be deleted.");
        return rerender(&state, &ctx, Section::Delete, errors).await;
    }
    match state.backend.delete_account(&ctx.caller(), &form.password).await {
        Ok(()) => Ok((ctx.clear_session_cookie(), redirect("/sign-in?signed_out=deleted")).into_response()),
        Err(e @ BackendError::Invalid { .. }) => rerender(&state, &ctx, Section::Delete, errors_from(&e)).await,
        Err(e) => Err(e.into()),
    }
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
    let notice = match q.notice.as_str() {
        "saved" => Some("Settings saved."),
        "password" => Some("Password changed. Every other session has been signed out."),
        "imported" => Some("Import complete: the tasks and conversations of the file were added."),
        _ => None,
    };
    let zone = user.time_zone.clone();
    Ok(html(StatusCode::OK, settings_view(&ctx, &user, &zone, Section::Zone, &FormErrors::default(), notice)))
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
    Ok(html(
        StatusCode::UNPROCESSABLE_ENTITY,
        settings_view(&ctx, &user, &form.time_zone, Section::Zone, &errors, None),
    ))
}

fn settings_view(
    ctx: &Ctx,
    user: &User,
    zone: &str,
    section: Section,
    errors: &FormErrors,
    notice: Option<&str>,
) -> Markup {
    let in_section = |s: Section, field: &str| if s == section { errors.get(field) } else { None };
    let err = in_section(Section::Zone, "time_zone");
    let current_err = in_section(Section::Password, "current_password");
    let new_err = in_section(Section::Password, "new_password");
    let file_err = in_section(Section::Import, "file");
    let delete_password_err = in_section(Section::Delete, "password");
    let confirm_err = in_section(Section::Delete, "confirm");
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

            h2 #password-heading { "Password" }
            form #password-form method="post" action="/settings/password" aria-labelledby="password-heading" {
                (csrf_input(ctx))
                div.field {
                    label for="current-password" { "Current password" }
                    input #current-password type="password" name="current_password" autocomplete="current-password" required
                        aria-invalid=[invalid(current_err)] aria-describedby=[described("current-password", current_err)];
                    (error_for("current-password", current_err))
                }
                div.field {
                    label for="new-password" { "New password" }
                    input #new-password type="password" name="new_password" autocomplete="new-password" required minlength="8" maxlength="128"
                        aria-invalid=[invalid(new_err)] aria-describedby=[described("new-password", new_err)];
                    p.hint { "8 to 128 characters. Every other browser and device is signed out; this one stays signed in." }
                    (error_for("new-password", new_err))
                }
                button.btn.btn-primary #change-password type="submit" { "Change password" }
            }

            h2 #sessions-heading { "Sessions" }
            form #settings-sign-out-everywhere-form method="post" action="/sign-out-everywhere" {
                (csrf_input(ctx))
                p.hint { "Ends every session of your account, on every browser and device, this one included." }
                button.btn #settings-sign-out-everywhere type="submit" { "Sign out everywhere" }
            }

            h2 #data-heading { "Your data" }
            p { a.btn #export-link href="/settings/export" download { "Download all my data (JSON)" } }
            form #import-form method="post" action="/settings/import" enctype="multipart/form-data" {
                (csrf_input(ctx))
                div.field {
                    label for="import-file" { "Import an export file" }
                    input #import-file type="file" name="file" accept="application/json,.json" required
                        aria-invalid=[invalid(file_err)] aria-describedby=[described("import-file", file_err)];
                    p.hint { "Adds the file's tasks (with new numbers) and conversations to this account. All or nothing." }
                    (error_for("import-file", file_err))
                }
                button.btn #import-submit type="submit" { "Import" }
            }

            h2 #delete-heading { "Delete account" }
            form #delete-form method="post" action="/settings/delete" aria-labelledby="delete-heading" {
                (csrf_input(ctx))
                p.hint { "Deletes your account with all its tasks and conversations, for good." }
                div.field {
                    label for="delete-password" { "Password" }
                    input #delete-password type="password" name="password" autocomplete="current-password" required
                        aria-invalid=[invalid(delete_password_err)] aria-describedby=[described("delete-password", delete_password_err)];
                    (error_for("delete-password", delete_password_err))
                }
                div.field {
                    label for="delete-confirm" {
                        input #delete-confirm type="checkbox" name="confirm" value="yes" required
                            aria-invalid=[invalid(confirm_err)] aria-describedby=[described("delete-confirm", confirm_err)];
                        " Yes, delete my account and everything in it"
                    }
                    (error_for("delete-confirm", confirm_err))
                }
                button.btn.btn-danger #delete-account type="submit" { "Delete my account" }
            }
        }
    };
    layout("Settings", ctx, body)
}
