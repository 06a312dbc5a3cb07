// todo-web progressive enhancement: every page works without this file. With it,
// forms on the task page submit in the background and swap the updated HTML in,
// the notice after a delete or complete becomes a toast with Undo for a few
// seconds, and the assistant's reply streams in.
(function () {
  "use strict";
  // The sign-up form sends the browser's IANA time zone; without script the
  // hidden field keeps "UTC" and the settings page can change it.
  var zoneField = document.querySelector("[data-detect-time-zone]");
  if (zoneField) {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone) zoneField.value = zone;
    } catch (e) { /* keep UTC */ }
  }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";
  function $(sel, root) { return (root || document).querySelector(sel); }

  function cleanUrl(url) {
    var u = new URL(url, location.href);
    u.searchParams.delete("notice");
    u.searchParams.delete("undo");
    return u.pathname + u.search + u.hash;
  }

  // Replaces the given regions with the ones in `html`; anything else (an error
  // page, the sign-in page) replaces the whole page.
  function swap(html, url, ids, push) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    if (!doc.getElementById("task-panel") || !$("#task-panel")) {
      document.title = doc.title;
      document.body.replaceWith(doc.body);
      history.replaceState(null, "", url);
      return false;
    }
    var active = document.activeElement && document.activeElement.id;
    var draft = $("#chat-message") ? $("#chat-message").value : "";
    ids.forEach(function (id) {
      var next = doc.getElementById(id), cur = document.getElementById(id);
      if (next && cur) cur.replaceWith(next);
    });
    if ($("#chat-message") && draft) $("#chat-message").value = draft;
    if (push === true) history.pushState(null, "", cleanUrl(url));
    else if (push !== null) history.replaceState(null, "", cleanUrl(url));
    // A completed or deleted row may be gone with its focused button: then Undo.
    var was = active && document.getElementById(active);
    var target = $('[aria-invalid="true"]') || (was && was.offsetParent ? was : $("#undo"));
    if (target && target.focus) target.focus();
    toast();
    return true;
  }

  // The notice with Undo floats as a toast (still the #status live region) and
  // goes after TOAST_MS, unless focus or the pointer is on it.
  var TOAST_MS = 8000, toastTimer = 0;
  function toast() {
    clearTimeout(toastTimer);
    var s = $("#status");
    if (!s || !$("#undo-form", s)) return;
    s.classList.add("toast");
    function later() {
      toastTimer = setTimeout(function () {
        if (s.contains(document.activeElement) || s.matches(":hover")) return later();
        s.classList.remove("toast");
        s.textContent = "";
      }, TOAST_MS);
    }
    later();
  }

  function busy(el, on) {
    if (!el) return;
    el.classList.toggle("busy", on);
    el.querySelectorAll("button").forEach(function (b) { b.disabled = on; });
  }

  function request(url, body) {
    var opts = { credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body) { opts.method = "POST"; opts.body = body; }
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (t) { return { url: r.url, html: t }; });
    });
  }

  function load(url, push) {
    var panel = $("#task-panel");
    busy(panel, true);
    return request(url).then(function (r) {
      swap(r.html, r.url, ["task-panel", "chat"], push);
    }).catch(function () { location.assign(url); });
  }

  function post(form) {
    busy(form, true);
    var isAdd = form.id === "add-task";
    request(form.action, new URLSearchParams(new FormData(form))).then(function (r) {
      if (swap(r.html, r.url, ["task-panel", "chat"], false) && isAdd && !$('[aria-invalid="true"]')) {
        $("#new-title").focus();
      }
    }).catch(function () { form.submit(); });
  }

  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.id === "chat-form") { e.preventDefault(); chat(f); return; }
    if (f.hasAttribute("data-enhance")) { e.preventDefault(); post(f); return; }
    if (f.id === "filters") {
      e.preventDefault();
      var params = new URLSearchParams();
      new FormData(f).forEach(function (v, k) { if (v) params.append(k, v); });
      load("/tasks" + (params.toString() ? "?" + params : ""), true);
    }
  });

  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.form && el.form.id === "filters" && el.tagName === "SELECT") el.form.requestSubmit();
  });

  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    var a = e.target.closest && e.target.closest("a");
    if (!a || !$("#task-panel")) return;
    var edit = a.getAttribute("data-edit");
    if (edit !== null) {
      e.preventDefault();
      load(a.href.split("#")[0], null).then(function () {
        var t = $("#edit-" + edit + "-title");
        if (t) t.focus();
      });
      return;
    }
    if (a.closest("#task-panel") && a.pathname === "/tasks" && !a.hash) {
      e.preventDefault();
      load(a.href, true);
    }
  });

  window.addEventListener("popstate", function () { if ($("#task-panel")) load(location.href, null); });

  // ---- assistant
  function bubble(role, text) {
    var div = document.createElement("div");
    div.className = "msg msg-" + role;
    var who = document.createElement("p");
    who.className = "msg-who";
    who.textContent = role === "user" ? "You" : "Assistant";
    var tools = document.createElement("ul");
    tools.className = "tools";
    var body = document.createElement("p");
    body.className = "msg-text";
    body.textContent = text;
    div.append(who, tools, body);
    return div;
  }

  function chat(form) {
    var input = $("#chat-message", form), text = input.value.trim();
    if (!text) { input.focus(); return; }
    var log = $("#chat-log"), hint = $("#chat-empty");
    if (hint) hint.remove();
    var err = $("#chat-error");
    if (err) err.remove();
    log.appendChild(bubble("user", text));
    var reply = bubble("assistant", "…"), replyText = $(".msg-text", reply), tools = $(".tools", reply);
    reply.setAttribute("aria-busy", "true");
    log.appendChild(reply);
    log.scrollTop = log.scrollHeight;
    var body = new URLSearchParams(new FormData(form));
    body.set("message", text);
    input.value = "";
    busy(form, true);
    var got = "", changed = false;
    function finish(message) {
      if (message) replyText.textContent = message;
      reply.setAttribute("aria-busy", "false");
      busy(form, false);
      input.focus();
      request(location.href).then(function (r) {
        swap(r.html, r.url, changed ? ["task-panel", "history"] : ["history"], null);
      });
    }
    function handle(name, data) {
      if (name === "delta") {
        got += data.text;
        replyText.textContent = got;
      } else if (name === "tool") {
        var li = document.createElement("li");
        li.textContent = data.line;
        tools.appendChild(li);
        changed = true;
      } else if (name === "done") {
        $("#chat-conversation").value = data.conversation_id;
        var u = new URL(location.href);
        u.searchParams.set("c", data.conversation_id);
        u.searchParams.delete("notice");
        history.replaceState(null, "", u.pathname + u.search);
        if (!got) replyText.textContent = data.response;
        if (data.assistant) {
          var label = document.createElement("span");
          label.className = "msg-label";
          label.title = "Which assistant answered";
          label.textContent = data.assistant;
          $(".msg-who", reply).append(" ", label);
        }
      } else if (name === "error") {
        replyText.textContent = data.message;
      }
      log.scrollTop = log.scrollHeight;
    }
    fetch("/chat/stream", {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, Accept: "text/event-stream" },
    }).then(function (r) {
      if (!r.ok || !r.body) {
        return r.json().then(function (j) { finish(j.message); }, function () { finish("The assistant is not reachable right now."); });
      }
      var reader = r.body.getReader(), dec = new TextDecoder(), buf = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return finish();
          buf += dec.decode(chunk.value, { stream: true });
          var i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            var block = buf.slice(0, i), name = "message", data = "";
            buf = buf.slice(i + 2);
            block.split("\n").forEach(function (line) {
              if (line.indexOf("event:") === 0) name = line.slice(6).trim();
              else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
            });
            if (data) { try { handle(name, JSON.parse(data)); } catch (x) { /* keep-alive or partial */ } }
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () { finish("The connection to the assistant was lost. Please try again."); });
  }

  document.addEventListener("keydown", function (e) {
    if (e.target.id === "chat-message" && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      e.target.form.requestSubmit();
    }
  });
})();
