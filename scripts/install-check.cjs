#!/usr/bin/env node
// Run by `npm install` only when no prebuilt binary loads here: node-gyp-build
// runs it just before it builds the addon from source with node-gyp
// ("install": "node-gyp-build \"node scripts/install-check.cjs\"").
// It says why a build happens, and if the tools it needs are missing, fails
// with what to install instead of node-gyp's "not found: make".
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const arch = process.env.npm_config_arch || os.arch();
const libc = process.env.LIBC || (fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
const armv = arch === 'arm' ? ` armv${process.env.ARM_VERSION || process.config.variables.arm_version || '?'}` : '';
const target = `${os.platform()}-${arch}${armv} (${libc})`;
// What this copy carries: prebuilds/<platform-arch>/<tags>.node (none in a git checkout).
let shipped = [];
try {
  const dir = path.join(root, 'prebuilds');
  shipped = fs.readdirSync(dir).flatMap((d) =>
    fs
      .readdirSync(path.join(dir, d))
      .filter((f) => f.endsWith('.node'))
      .map((f) => [d, ...f.split('.').filter((tag) => /^(armv\d+|glibc|musl)$/.test(tag))].join(' ')),
  );
} catch {
  // no prebuilds/
}

let why;
if (process.env.npm_config_build_from_source === 'true') {
  why = 'asked to build from source (--build-from-source)';
} else {
  try {
    const found = require('node-gyp-build').resolve(root);
    try {
      require(found);
      why = `${path.relative(root, found)} loads, but node-gyp-build asked for a build`;
    } catch (err) {
      why = `the prebuilt ${path.relative(root, found)} does not load here: ${String(err.message).split('\n')[0]}`;
    }
  } catch {
    const has = shipped.length > 0 ? `the package has ${shipped.sort().join(', ')}` : 'this copy has none: a git checkout, `npm pack` makes them';
    why = `no prebuilt binary for ${target} (${has})`;
  }
}

/** The first of names found on PATH (or given as a path), or null. */
function which(...names) {
  for (const name of names.filter(Boolean)) {
    const exe = name.split(' ')[0];
    const dirs = exe.includes('/') ? [''] : (process.env.PATH || '').split(path.delimiter);
    for (const dir of dirs) {
      const p = path.join(dir, exe);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}

const missing = [];
if (!which(process.env.CC, 'cc', 'gcc', 'clang')) missing.push('a C compiler');
if (!which('make')) missing.push('make');
if (!which(process.env.PYTHON, 'python3', 'python')) missing.push('Python 3');

console.error(`ioready: ${why}; building it from source (node-gyp).`);
if (missing.length > 0) {
  console.error(
    `ioready: cannot build from source: ${missing.join(', ')} not found. Install them, then run \`npm rebuild ioready\`:\n` +
      '  Debian, Ubuntu, Raspberry Pi OS: sudo apt-get install build-essential python3\n' +
      '  Alpine: apk add build-base python3\n' +
      '  Fedora, RHEL: sudo dnf install gcc make python3\n' +
      '  (docs/install.md in the package repository lists the prebuilt targets)',
  );
  process.exit(1);
}
