// Starts panva's oidc-provider (a certified OpenID provider, installed by
// scripts/test-services) on 127.0.0.1 for the upstream login tests, with
// plain HTML login and consent forms that a Go http.Client can submit.
//
//   MAS_TEST_OIDC_PROVIDER=<folder holding node_modules/oidc-provider> \
//     node provider.mjs '<configuration as JSON>'
//
// The configuration (every key optional):
//   port                     port to listen on; 0 (the default) picks one
//   issuer                   defaults to http://127.0.0.1:<port>
//   clients                  oidc-provider client metadata, passed as given:
//                            client_id, client_secret, redirect_uris,
//                            token_endpoint_auth_method, jwks,
//                            id_token_signed_response_alg,
//                            backchannel_logout_uri, ...
//   users                    claims objects (sub, preferred_username, name,
//                            email, email_verified, ...) plus password; the
//                            login form takes preferred_username or sub
//   pkce_required            PKCE for every client, not only public ones
//   userinfo                 false turns the userinfo endpoint off
//   backchannel_logout       true turns back-channel logout on
//   conform_id_token_claims  true: the ID token of the code flow carries
//                            only sub and protocol claims, the profile and
//                            email claims come from userinfo alone
//   consent                  "auto" (default) grants what the client asks;
//                            "form" shows an Allow/Deny form first
//
// Unlike oidc-provider alone, it holds a client to its registered secret
// method: client_secret_basic in the header, client_secret_post in the body.
// Its logout form says yes to ending the whole session, and it calls back
// clients on 127.0.0.1 (back-channel logout, jwks_uri).
//
// It prints "READY {issuer, port}" once it listens, "AUTHORIZE {params}"
// for each authorization request, and exits when its stdin closes, so
// that a test that dies never leaves it running.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(process.argv[2] ?? '{}');

const moduleDir = process.env.MAS_TEST_OIDC_PROVIDER;
if (!moduleDir) {
  console.error('MAS_TEST_OIDC_PROVIDER is not set (scripts/test-services --env sets it)');
  process.exit(2);
}
const require = createRequire(join(moduleDir, 'package.json'));
const { default: Provider } = await import(pathToFileURL(require.resolve('oidc-provider')).href);

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();

const users = config.users ?? [];
const findUser = (login) => users.find((u) => u.preferred_username === login || u.sub === login);
const findUserBySub = (sub) => users.find((u) => u.sub === sub);

// claimsOf is what the provider knows of a user: everything but the password.
function claimsOf(user) {
  const { password, ...claims } = user;
  return claims;
}

// Every claim a user has belongs to the profile scope, except the email ones.
const emailClaims = ['email', 'email_verified'];
const profileClaims = new Set(['name', 'given_name', 'family_name', 'preferred_username', 'picture', 'locale']);
for (const user of users) {
  for (const claim of Object.keys(claimsOf(user))) {
    if (claim !== 'sub' && !emailClaims.includes(claim)) profileClaims.add(claim);
  }
}

// signingKeys makes one key for each ID token algorithm a client may ask for.
function signingKeys() {
  const jwk = (pair, alg) => ({ ...pair.privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `${alg}-${randomBytes(4).toString('hex')}` });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return [
    jwk(rsa, 'RS256'),
    jwk(rsa, 'PS256'),
    jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256'),
    jwk(generateKeyPairSync('ed25519'), 'EdDSA'),
  ];
}

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escape(title)}</title></head>\n<body><h1>${escape(title)}</h1>\n${body}\n</body></html>\n`);
}

function loginPage(res, uid, params, error) {
  page(res, error ? 401 : 200, 'Sign in', `<p>to continue to ${escape(params.client_id)}</p>
${error ? `<p class="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Username <input name="username" autocomplete="username" value="${escape(params.login_hint)}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>`);
}

function consentPage(res, uid, params) {
  page(res, 200, 'Authorize', `<p>${escape(params.client_id)} asks for: ${escape(params.scope)}</p>
<form method="post" action="/interaction/${escape(uid)}/confirm"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit">Deny</button></form>`);
}

async function readBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

const readForm = async (req) => new URLSearchParams(await readBody(req));

// secretMethodRefusal says why a token request does not use its client's
// registered secret method: oidc-provider takes the secret from the header
// or the body whatever client_secret_basic or client_secret_post says, and
// the tests want a client that uses the wrong one refused.
function secretMethodRefusal(authorization, form) {
  // A JWT assertion names its client itself, client_id may be left out
  // (RFC 7521 §4.2): the provider checks it against the registered method.
  if (form.has('client_assertion')) return undefined;
  const basic = /^basic /i.test(authorization ?? '');
  let clientId = form.get('client_id');
  if (basic) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString();
    clientId = decodeURIComponent(decoded.slice(0, decoded.indexOf(':')));
  }
  const client = (config.clients ?? []).find((c) => c.client_id === clientId);
  const method = client?.token_endpoint_auth_method ?? 'client_secret_basic';
  if (method === 'client_secret_basic' && (!basic || form.has('client_secret'))) {
    return 'this client authenticates with client_secret_basic';
  }
  if (method === 'client_secret_post' && (basic || !form.has('client_secret'))) {
    return 'this client authenticates with client_secret_post';
  }
  return undefined;
}

// grantConsent records a grant of everything the client asked for.
async function grantConsent(provider, details) {
  const { prompt, grantId, session, params } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  if (prompt.details.missingResourceScopes) {
    for (const [indicator, scope] of Object.entries(prompt.details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
  }
  return { consent: { grantId: await grant.save() } };
}

// interaction serves /interaction/<uid>[/login|/confirm|/abort].
async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return page(res, 400, 'Error', '<p>interaction mismatch</p>');
  const { prompt, params } = details;
  if (req.method === 'GET') {
    if (prompt.name === 'login') return loginPage(res, uid, params);
    if (config.consent === 'form') return consentPage(res, uid, params);
    return provider.interactionFinished(req, res, await grantConsent(provider, details), { mergeWithLastSubmission: true });
  }
  if (req.method !== 'POST') return page(res, 405, 'Error', '<p>method not allowed</p>');
  if (action === 'login' && prompt.name === 'login') {
    const form = await readForm(req);
    const user = findUser(form.get('username'));
    if (!user || user.password !== form.get('password')) {
      return loginPage(res, uid, params, 'Wrong username or password.');
    }
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm' && prompt.name === 'consent') {
    return provider.interactionFinished(req, res, await grantConsent(provider, details), { mergeWithLastSubmission: true });
  }
  if (action === 'abort') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user denied the request' }, { mergeWithLastSubmission: false });
  }
  return page(res, 400, 'Error', `<p>unexpected ${escape(action)} during ${escape(prompt.name)}</p>`);
}

// The logout confirmation says yes by itself: the form holds logout=yes.
async function logoutSource(ctx, form) {
  ctx.body = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Sign out</title></head><body><h1>Sign out</h1>
${form.replace('</form>', '<input type="hidden" name="logout" value="yes"><button type="submit">Sign out</button></form>')}
</body></html>`;
}

const server = createServer();
server.listen(config.port ?? 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = config.issuer ?? `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients ?? [],
    async findAccount(ctx, sub) {
      const user = findUserBySub(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: async () => claimsOf(user) };
    },
    claims: { openid: ['sub'], profile: [...profileClaims], email: emailClaims },
    conformIdTokenClaims: config.conform_id_token_claims === true,
    pkce: { required: (ctx, client) => config.pkce_required === true || client.clientAuthMethod === 'none' },
    jwks: { keys: signingKeys() },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: config.userinfo !== false },
      backchannelLogout: { enabled: config.backchannel_logout === true },
      rpInitiatedLogout: { enabled: true, logoutSource },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // Its own fetch refuses loopback addresses (SSRF protection), and the
    // clients it calls back (back-channel logout, jwks_uri) are on 127.0.0.1.
    fetch: (url, { dispatcher, ...options }) => fetch(url, options),
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Error</title></head><body><h1>Error</h1><pre>${escape(JSON.stringify(out, null, 2))}</pre></body></html>`;
    },
  });
  for (const event of ['server_error', 'backchannel.error', 'end_session.error', 'grant.error']) {
    provider.on(event, (ctx, err) => console.error(event, err));
  }
  const callback = provider.callback();
  async function handle(req, res) {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/auth') {
      console.log(`AUTHORIZE ${JSON.stringify(Object.fromEntries(url.searchParams))}`);
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      // Read here, the provider then takes the body from req.body.
      req.body = await readBody(req);
      const refusal = secretMethodRefusal(req.headers.authorization, new URLSearchParams(req.body));
      if (refusal) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: 'invalid_client', error_description: refusal }));
      }
    }
    const m = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/);
    if (!m) return callback(req, res);
    return interaction(provider, req, res, m[1], m[2]);
  }
  server.on('request', (req, res) => handle(req, res).catch((err) => {
    console.error('request', req.method, req.url, err);
    if (!res.headersSent) page(res, 400, 'Error', `<p>${escape(err.message)}</p>`);
  }));
  console.log(`READY ${JSON.stringify({ issuer, port })}`);
});
