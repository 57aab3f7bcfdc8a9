// Reduces package.json to what `npm ci` reads (name, version, the dependency fields) in place, so a change to
// scripts or descriptions leaves the file byte-for-byte the same and BuildKit's cached `npm ci` layer still applies.
//   node tools/docker/dependency-manifest.mjs <package.json>
import { readFileSync, writeFileSync } from 'node:fs';

const KEPT = ['name', 'version', 'dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'overrides', 'workspaces'];
const file = process.argv[2];
const manifest = JSON.parse(readFileSync(file, 'utf8'));
writeFileSync(file, `${JSON.stringify(Object.fromEntries(KEPT.filter((k) => k in manifest).map((k) => [k, manifest[k]])), null, 2)}\n`);
