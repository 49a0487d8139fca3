// The rules page: lists the rules, creates (POST), edits (PATCH: only the fields given) and deletes them.
(function () {
  const $ = (id) => document.getElementById(id);
  let editing = null;

  $("token").value = sessionStorage.getItem("streamwatch-token") || "";
  $("token").addEventListener("change", () => {
    sessionStorage.setItem("streamwatch-token", $("token").value);
    tokenState("", true);
  });

  function headers() {
    return { "Content-Type": "application/json", "Authorization": "Bearer " + $("token").value };
  }

  function show(errors, status) {
    $("errors").textContent = errors.join("\n");
    $("status").textContent = status || "";
  }

  function tokenState(text, accepted) {
    $("token-state").textContent = text;
    $("token-state").className = accepted ? "accepted" : "refused";
  }

  async function answer(response, write) {
    const body = await response.json().catch(() => ({}));
    if (write && response.status === 401) {
      tokenState("token refused", false);
      throw ["The API token was refused (401): nothing was changed. Enter the token the rules service was started with."];
    }
    if (write && response.status !== 403) tokenState("token accepted", true);
    if (response.ok) return body;
    throw (body.errors || [body.error || ("HTTP " + response.status)]);
  }

  function describe(rule) {
    return rule.metric_name + " " + rule.operator + " " + rule.threshold + " (" + rule.id + ")";
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  async function load() {
    const rules = await answer(await fetch("/rules"));
    const body = document.querySelector("#rules tbody");
    body.replaceChildren();
    $("empty").hidden = rules.length > 0;
    $("rules").hidden = rules.length === 0;
    for (const rule of rules) {
      const row = document.createElement("tr");
      row.dataset.id = rule.id;
      for (const field of ["metric_name", "operator", "threshold", "cooldown_seconds", "notify_resolved", "discord_webhook_url", "id"]) {
        cell(row, String(rule[field])).className = field;
      }
      const actions = cell(row, "");
      const edit = document.createElement("button");
      edit.textContent = "Edit";
      edit.className = "edit";
      edit.addEventListener("click", () => startEdit(rule));
      const remove = document.createElement("button");
      remove.textContent = "Delete";
      remove.className = "delete";
      remove.addEventListener("click", () => removeRule(rule));
      actions.append(edit, " ", remove);
      body.appendChild(row);
    }
  }

  function startEdit(rule) {
    editing = rule.id;
    for (const field of ["metric_name", "operator", "threshold", "cooldown_seconds"]) $(field).value = rule[field];
    $("notify_resolved").checked = rule.notify_resolved;
    $("discord_webhook_url").value = "";
    $("form-title").textContent = "Edit rule " + rule.id;
    $("save").textContent = "Save";
    $("cancel").hidden = false;
    $("url-hint").hidden = false;
  }

  function resetForm() {
    editing = null;
    $("rule-form").reset();
    $("form-title").textContent = "New rule";
    $("save").textContent = "Create";
    $("cancel").hidden = true;
    $("url-hint").hidden = true;
  }

  function number(text) {
    return text.trim() === "" || isNaN(Number(text)) ? text : Number(text);
  }

  $("rule-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const rule = {
      metric_name: $("metric_name").value,
      operator: $("operator").value,
      threshold: number($("threshold").value),
      cooldown_seconds: number($("cooldown_seconds").value || "0"),
      notify_resolved: $("notify_resolved").checked,
    };
    if ($("discord_webhook_url").value !== "" || editing === null) rule.discord_webhook_url = $("discord_webhook_url").value;
    try {
      const saved = await answer(await fetch(editing ? "/rules/" + editing : "/rules",
        { method: editing ? "PATCH" : "POST", headers: headers(), body: JSON.stringify(rule) }), true);
      show([], (editing ? "Saved " : "Created ") + describe(saved));
      resetForm();
      await load();
    } catch (errors) {
      show(Array.isArray(errors) ? errors : [String(errors)]);
    }
  });

  $("cancel").addEventListener("click", resetForm);

  async function removeRule(rule) {
    try {
      await answer(await fetch("/rules/" + rule.id, { method: "DELETE", headers: headers() }), true);
      show([], "Deleted " + describe(rule));
      if (editing === rule.id) resetForm();
      await load();
    } catch (errors) {
      show(Array.isArray(errors) ? errors : [String(errors)]);
    }
  }

  load().catch((errors) => show([String(errors)]));
})();
