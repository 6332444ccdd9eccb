#!/usr/bin/env bash
# Clean install, build, unit tests and .vsix packaging of the VS Code extension.
set -euo pipefail
cd "$(dirname "$0")"
npm ci
npm run build
npm test
npm run package
