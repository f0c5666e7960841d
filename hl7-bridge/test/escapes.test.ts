import { describe, expect, it } from '@jest/globals';
import { type Delimiters, defaultDelimiters } from '../src/er7.ts';
import { escapeText, unescapeText } from '../src/escapes.ts';

const d = defaultDelimiters;
const custom: Delimiters = {
  field: '#',
  encoding: '$*!@',
  component: '$',
  repetition: '*',
  escape: '!',
  subcomponent: '@',
  truncation: '',
};

describe('escape sequences', () => {
  it('resolves the delimiter escapes', () => {
    expect(unescapeText('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f', d)).toBe('a|b^c&d~e\\f');
  });

  it('resolves them for the message’s own delimiters', () => {
    expect(unescapeText('a!F!b!S!c!T!d!R!e!E!f', custom)).toBe('a#b$c@d*e!f');
  });

  it('drops highlighting and resolves FT formatting', () => {
    expect(
      unescapeText('\\H\\bold\\N\\ one\\.br\\two\\.sp 2\\three\\.sk 3\\four\\.in+4\\\\.ce\\five', d),
    ).toBe('bold one\ntwo\n\nthree   four\nfive');
  });

  it('decodes \\Xhh\\ bytes in the message’s character set', () => {
    expect(unescapeText('\\X41C3A9\\', d)).toBe('Aé');
    expect(unescapeText('\\XE9\\', d, 'latin1')).toBe('é');
    expect(unescapeText('line\\X0D0A\\next', d)).toBe('line\r\nnext');
  });

  it('keeps unknown or unterminated sequences, and a stray escape character, as sent', () => {
    expect(unescapeText('C:\\temp\\file', d)).toBe('C:\\temp\\file');
    expect(unescapeText('a\\b\\F\\', d)).toBe('a\\b|');
    expect(unescapeText('ends with \\F', d)).toBe('ends with \\F');
    expect(unescapeText('\\X4\\', d)).toBe('\\X4\\');
  });

  it('drops character set switches and local escapes', () => {
    expect(unescapeText('a\\C2842\\b\\M2442\\c\\Zlocal\\d', d)).toBe('abcd');
  });

  it('caps repeated line breaks and spaces', () => {
    expect(unescapeText('\\.sp 99999999\\', d)).toHaveLength(100);
  });

  it('leaves a value without escapes untouched', () => {
    const value = 'plain value';
    expect(unescapeText(value, d)).toBe(value);
  });

  it('escapes text so that it reads back the same', () => {
    const text = 'a|b^c~d\\e&f';
    expect(escapeText(text, d)).toBe('a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f');
    expect(unescapeText(escapeText(text, d), d)).toBe(text);
    expect(unescapeText(escapeText('x#y$z', custom), custom)).toBe('x#y$z');
  });
});
