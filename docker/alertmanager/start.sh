#!/bin/sh
# Starts Alertmanager with the Discord receiver's URL taken from $DISCORD_WEBHOOK_URL, a secret that is never
# written into the repository. The URL is inserted verbatim (no sed, so '&', '|' and '\' in it stay as they are;
# a quote is escaped for YAML). Without it, alertmanager-webhook-only.yml is started instead, so no notification
# is sent to a placeholder. Extra arguments go to Alertmanager.
# ALERTMANAGER_CONFIG_DIR, ALERTMANAGER_RENDERED and ALERTMANAGER_BIN exist for the tests.
set -eu
config_dir=${ALERTMANAGER_CONFIG_DIR:-/etc/alertmanager}
rendered=${ALERTMANAGER_RENDERED:-/tmp/alertmanager.yml}
if [ -n "${DISCORD_WEBHOOK_URL:-}" ]; then
  awk 'BEGIN { placeholder = "https://discord.com/api/webhooks/DISCORD_WEBHOOK_URL"; url = ENVIRON["DISCORD_WEBHOOK_URL"]; gsub(/\047/, "\047\047", url) }
       { i = index($0, placeholder); if (i > 0) { $0 = substr($0, 1, i - 1) url substr($0, i + length(placeholder)) } print }' \
    "$config_dir/alertmanager.yml" > "$rendered"
  echo "Discord receiver enabled (URL from DISCORD_WEBHOOK_URL)" >&2
else
  cp "$config_dir/alertmanager-webhook-only.yml" "$rendered"
  echo "DISCORD_WEBHOOK_URL is not set: notifications go to the webhook receiver only" >&2
fi
exec "${ALERTMANAGER_BIN:-/bin/alertmanager}" --config.file="$rendered" "$@"
