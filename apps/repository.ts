/**
 * Where the repository is, for the files the servers read (`static/`, `www/`, `config/`): one folder up from this
 * file, which is `apps/` in the sources and `dist/` in the bundle `npm run build` makes (every bundle is one file
 * there, so `__dirname` is `dist/`). The one place that says so. New: WeApRous read paths from the working folder.
 */

import { join } from 'node:path';

export const REPOSITORY = join(__dirname, '..');
