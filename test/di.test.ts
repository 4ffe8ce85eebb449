import 'reflect-metadata';
import { Container, inject, injectable } from 'inversify';
import { test, expect } from 'vitest';
const A = Symbol('A');
@injectable()
class B { constructor(@inject(A) public readonly a: number) {} }
test('di', () => { const c = new Container(); c.bind(A).toConstantValue(42); c.bind(B).toSelf(); expect(c.get(B).a).toBe(42); });
