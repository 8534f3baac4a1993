/**
 * Contacts: the peers the user sent to (chosen) and the few that sent it a signed direct message (heard), each
 * bounded, oldest out first, saved at each change and read back. Tests for `apps/peer/model/contacts.ts`.
 */

import { expect } from 'chai';
import { Contacts, MAX_HEARD } from '../../../../apps/peer/model/contacts';

describe('Contacts', () => {
  it('counts a peer chosen or heard as a contact, and tells each change once', () => {
    const saved: unknown[] = [];
    const contacts = new Contacts({}, (c) => saved.push(c.toJSON()));
    contacts.choose('127.0.0.1:5002');
    contacts.choose('127.0.0.1:5002');
    contacts.hear('127.0.0.1:5003');
    expect([contacts.has('127.0.0.1:5002'), contacts.has('127.0.0.1:5003'), contacts.has('127.0.0.1:5004')]).to.deep.equal([
      true,
      true,
      false,
    ]);
    expect(saved).to.have.length(2);
    expect(new Contacts(contacts.toJSON()).toJSON()).to.deep.equal({ chosen: ['127.0.0.1:5002'], heard: ['127.0.0.1:5003'] });
  });

  it('keeps at most MAX_HEARD heard from, oldest out first, and never lets them push out a chosen one', () => {
    const contacts = new Contacts();
    contacts.choose('bob');
    for (let i = 0; i <= MAX_HEARD; i++) contacts.hear(`stranger${i}`);
    expect([contacts.has('bob'), contacts.has('stranger0'), contacts.has(`stranger${MAX_HEARD}`)]).to.deep.equal([true, false, true]);
  });
});
