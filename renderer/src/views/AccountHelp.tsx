// Where a token comes from and what "client id and secret" means: said once, used by the first-run
// guide and Settings.
export function AccountHelp({ id }: { id: string }) {
  return (
    <div id={id} class="help muted">
      <p>
        <strong>API token:</strong> sign in to Plaud's developer platform with your Plaud account and create an API
        token there. Paste it here; Plaud Sync keeps it encrypted on this computer.
      </p>
      <p>
        <strong>Client id and secret:</strong> a pair the developer platform gives an app instead of a token. Plaud Sync
        trades them for a fresh token whenever it needs one, so nothing expires on you. Use them if your organisation
        gave you these rather than a token.
      </p>
    </div>
  );
}
