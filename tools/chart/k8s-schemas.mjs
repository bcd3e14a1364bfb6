#!/usr/bin/env node
// Converts Kubernetes' OpenAPI v2 spec (api/openapi-spec/swagger.json of the k8s.io/kubernetes
// module) into one strict JSON schema per kind, in the layout kubeconform reads with
//   -schema-location '<dir>/{{ .ResourceKind }}{{ .KindSuffix }}.json'
// e.g. deployment-apps-v1.json, service-v1.json, networkpolicy-networking-v1.json.
// What openapi2jsonschema --strict does, minus the network: every file carries the definitions it
// needs (so recursive types stay finite), and every object with declared properties rejects
// unknown ones (a misspelt field in a template fails CI instead of being dropped by the API server).
// usage: node k8s-schemas.mjs <swagger.json> <out-dir>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [specPath, outDir] = process.argv.slice(2);
if (!specPath || !outDir) {
  console.error('usage: k8s-schemas.mjs <swagger.json> <out-dir>');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const definitions = spec.definitions;

// Types whose wire form the Go types encode specially.
const SPECIAL = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string' },
};

function refName(ref) {
  return ref.replace(/^#\/definitions\//, '');
}

/** Copies a schema node, making objects strict and collecting the definitions it refers to. */
function convert(node, needed) {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      const name = refName(value);
      needed.add(name);
      out.$ref = `#/definitions/${name}`;
    } else if (key.startsWith('x-kubernetes-') || key === 'format') {
      // format: int32/int64/byte are not JSON Schema formats; kind metadata is informational.
      continue;
    } else if (key === 'properties' || key === 'patternProperties') {
      // A map of property names (which may be "$ref" or "format") to schemas.
      out[key] = Object.fromEntries(Object.entries(value).map(([prop, schema]) => [prop, convert(schema, needed)]));
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out[key] = Array.isArray(value) ? value.map((v) => convert(v, needed)) : convert(value, needed);
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = value.map((v) => convert(v, needed));
    } else {
      out[key] = value;
    }
  }
  if (out.properties && out.additionalProperties === undefined && !node['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
    if (!out.type) out.type = 'object';
  }
  return out;
}

function closure(rootName) {
  const done = new Map();
  const queue = [rootName];
  while (queue.length > 0) {
    const name = queue.pop();
    if (done.has(name)) continue;
    const needed = new Set();
    const schema = SPECIAL[name] ?? convert(definitions[name] ?? {}, needed);
    done.set(name, schema);
    for (const n of needed) if (!done.has(n)) queue.push(n);
  }
  return done;
}

mkdirSync(outDir, { recursive: true });
let count = 0;
for (const [name, definition] of Object.entries(definitions)) {
  const gvks = definition['x-kubernetes-group-version-kind'];
  if (!gvks) continue;
  const defs = closure(name);
  const root = defs.get(name);
  defs.delete(name);
  for (const { group, version, kind } of gvks) {
    if (kind.endsWith('List') || kind === 'Status' || kind === 'WatchEvent' || kind === 'DeleteOptions') continue;
    const apiVersion = group ? `${group}/${version}` : version;
    // kubeconform's KindSuffix: "-" + first label of the group (or the version), "-" + version.
    const suffix = group ? `-${group.split('.')[0].toLowerCase()}-${version.toLowerCase()}` : `-${version.toLowerCase()}`;
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      description: `${apiVersion} ${kind} (from ${name})`,
      ...root,
      properties: {
        ...root.properties,
        apiVersion: { type: 'string', enum: [apiVersion] },
        kind: { type: 'string', enum: [kind] },
      },
      definitions: Object.fromEntries(defs),
    };
    writeFileSync(join(outDir, `${kind.toLowerCase()}${suffix}.json`), JSON.stringify(schema));
    count += 1;
  }
}
if (count < 50) {
  console.error(`only ${count} kinds found in ${specPath}: not a Kubernetes OpenAPI v2 spec?`);
  process.exit(1);
}
console.error(`[careloop-chart] wrote ${count} kind schemas to ${outDir}`);
