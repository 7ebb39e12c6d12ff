// node oidc-provider configured as the peer of La Poste's identity provider in the federation
// benchmark: ES256 id_tokens, one confidential client, and an automatic login (the interaction
// page logs the person in and grants the scopes at once). Prints its address on stdout.
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'es256', alg: 'ES256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret-0123456789abcdef0123456789abcdef',
    redirect_uris: ['https://banc.invalid/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [jwk] },
  pkce: { required: () => false },
  cookies: { keys: ['banc-essai-cle-cookies'] },
  claims: { openid: ['sub'], profile: ['given_name', 'family_name', 'birthdate', 'gender'] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, given_name: 'Jean Édouard', family_name: 'LEFÈVRE', birthdate: '1985-02-11', gender: 'male' }),
  }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
});
provider.on('server_error', (ctx, error) => console.error('server_error', error));
const handler = provider.callback();

server.on('request', async (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    try {
      const details = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({ accountId: 'bench-user', clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: 'bench-user' }, consent: { grantId } },
        { mergeWithLastSubmission: false });
    } catch (error) {
      console.error(error);
      res.statusCode = 500;
      res.end();
    }
    return;
  }
  handler(req, res);
});
console.log(issuer);
