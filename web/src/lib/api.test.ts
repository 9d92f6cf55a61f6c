import { describe, expect, it } from 'vitest';
import { Api, ErrorCodes, methodNames, type Backend } from './api';
import { errorCodes } from './contract.gen';

// contract.gen.ts is generated from the Go method table (api.Methods); these
// tests hold the hand-written parts of api.ts to it.
describe('Api wrappers', () => {
  it('has one wrapper per contract method, calling that method', async () => {
    const called: string[] = [];
    const backend: Backend = {
      kind: 'demo',
      call: async <T>(method: string) => {
        called.push(method);
        return {} as T;
      },
      subscribe: () => () => {},
    };
    const api = new Api(backend) as unknown as Record<string, (p: object) => Promise<unknown>>;
    for (const m of methodNames) {
      const wrapper = m[0].toLowerCase() + m.slice(1);
      expect(typeof api[wrapper], `Api.${wrapper} for ${m}`).toBe('function');
      await api[wrapper]({});
      expect(called.at(-1)).toBe(m);
    }
    const own = Object.getOwnPropertyNames(Api.prototype).filter((n) => n !== 'constructor' && n !== 'c');
    expect(own.length).toBe(methodNames.length);
  });
});

describe('ErrorCodes', () => {
  it('names every code of the contract', () => {
    const known = new Set<string>(Object.values(ErrorCodes));
    for (const c of errorCodes) {
      expect(known.has(c), c).toBe(true);
    }
  });
});
