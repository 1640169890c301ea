// Tiny HTML pages (no external resources, no web fonts).

export function esc(value) {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = 'body{font-family:sans-serif;max-width:22rem;margin:3rem auto}'
  + 'label,input,button{display:block;width:100%;margin:.3rem 0;box-sizing:border-box}'
  + '.error{color:#b00020}';

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body>
${body}
</body>
</html>
`;
}

export function loginPage({ action, clientId, username = '', error }) {
  return page('Sign in', `<h1>Sign in</h1>
<p>to <span id="client">${esc(clientId)}</span></p>
${error ? `<p class="error" id="error" role="alert">${esc(error)}</p>` : ''}
<form id="login" method="post" action="${esc(action)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" value="${esc(username)}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`);
}

// The end-session confirmation: posted automatically by script, so a browser
// passes straight through; HTTP clients post the form themselves.
export function logoutPage({ action, xsrf }) {
  return page('Signing out', `<h1>Signing out…</h1>
<form id="logout" method="post" action="${esc(action)}">
<input type="hidden" name="xsrf" value="${esc(xsrf)}">
<input type="hidden" name="logout" value="yes">
<noscript><button type="submit">Sign out</button></noscript>
</form>
<script>document.getElementById('logout').submit();</script>`);
}

export function logoutSuccessPage() {
  return page('Signed out', '<h1 id="signed-out">You are signed out.</h1>');
}

