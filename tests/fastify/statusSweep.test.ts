/**
 * Issue 18.3: every code in the catalogue (each src/**\/errors.ts) answers the status that
 * docs/fastify.md's table gives it, in the one error shape. The table is read from the
 * docs: exact codes first, then `E_FAMILY_*` rows by prefix, then 500.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Fastify from 'fastify';
import { catalogueCodes } from './catalogue.js';
import { describe, expect, it } from 'vitest';
import { HotmodError, type HotmodErrorCode } from '../../src/errors.js';
import { hotmodErrorHandler, httpStatusForCode } from '../../src/fastify/index.js';

const root = path.resolve(import.meta.dirname, '../..');

async function documentedStatuses(): Promise<(code: string) => number> {
  const text = await readFile(path.join(root, 'docs/fastify.md'), 'utf8');
  const section = text.slice(text.indexOf('## Errors and status codes'), text.indexOf('### Limits'));
  const exact = new Map<string, number>();
  const families: [string, number][] = [];
  for (const line of section.split('\n')) {
    const row = /^\| (\d{3}) \| (.*?) \|/.exec(line);
    if (!row) continue; // the header, and rows such as "413 / 415" that give no one status
    for (const m of row[2]!.matchAll(/`(E_[A-Z0-9_]*)(\*?)`/g)) {
      if (m[2] === '*') families.push([m[1]!, Number(row[1])]);
      else if (!exact.has(m[1]!)) exact.set(m[1]!, Number(row[1]));
    }
  }
  return (code) => exact.get(code) ?? families.find(([prefix]) => code.startsWith(prefix))?.[1] ?? 500;
}

describe('every catalogue code answers its documented status (issue 18.3)', () => {
  it('httpStatusForCode and the reply of hotmodErrorHandler agree with docs/fastify.md for every code', async () => {
    const codes = await catalogueCodes();
    const documented = await documentedStatuses();
    expect(codes.length).toBeGreaterThan(50);
    const app = Fastify({ logger: false });
    app.setErrorHandler(hotmodErrorHandler);
    app.get<{ Params: { code: string } }>('/throw/:code', async (request) => {
      throw new HotmodError(request.params.code as HotmodErrorCode, `thrown ${request.params.code}`, { probe: true });
    });
    const wrong: string[] = [];
    for (const code of codes) {
      const expected = documented(code);
      if (httpStatusForCode(code) !== expected) wrong.push(`${code}: table ${httpStatusForCode(code)}, docs ${expected}`);
      const response = await app.inject({ method: 'GET', url: `/throw/${code}` });
      const body = JSON.parse(response.body) as unknown;
      if (response.statusCode !== expected) wrong.push(`${code}: replied ${response.statusCode}`);
      expect(body).toEqual({ error: { code, message: `thrown ${code}`, details: { probe: true } } });
    }
    await app.close();
    expect(wrong).toEqual([]);
  });
});
