/**
 * Specification of daemon/mime.ts: the Content-Type of a static file from its extension.
 */

import { expect } from 'chai';
import { contentType, mimeType, DEFAULT_TYPE } from '../../daemon/mime';

describe('mimeType() and contentType()', () => {
  it('names the common web types, ignoring the case of the extension', () => {
    expect(mimeType('index.html')).to.equal('text/html');
    expect(mimeType('css/styles.CSS')).to.equal('text/css');
    expect(mimeType('js/app.js')).to.equal('text/javascript');
    expect(mimeType('images/logo.png')).to.equal('image/png');
    expect(mimeType('images/photo.jpeg')).to.equal('image/jpeg');
  });

  it('adds charset=utf-8 to text types only', () => {
    expect(contentType('a.html')).to.equal('text/html; charset=utf-8');
    expect(contentType('a.json')).to.equal('application/json; charset=utf-8');
    expect(contentType('a.svg')).to.equal('image/svg+xml; charset=utf-8');
    expect(contentType('a.png')).to.equal('image/png');
  });

  it('falls back to application/octet-stream for unknown or missing extensions', () => {
    expect(DEFAULT_TYPE).to.equal('application/octet-stream');
    expect(contentType('archive.xyz')).to.equal('application/octet-stream');
    expect(contentType('Makefile')).to.equal('application/octet-stream');
  });
});
