/**
 * A strict little XML well-formedness check for the SVG charts (and the tag balance of the HTML
 * report): every tag closed in order, attributes quoted and unique, only the five XML entities or
 * numeric references. Enough to catch a broken chart without a browser.
 */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const VOID_HTML = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);

export function parseXml(src: string, options: { html?: boolean } = {}): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  let i = 0;
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  while (i < src.length) {
    const c = src[i];
    if (c === '&') {
      entity.lastIndex = i;
      if (!entity.test(src)) throw new Error(`bad entity at ${i}: ${src.slice(i, i + 12)}`);
      stack.at(-1)!.text += decode(src.slice(i, entity.lastIndex));
      i = entity.lastIndex;
      continue;
    }
    if (c !== '<') {
      stack.at(-1)!.text += c;
      i++;
      continue;
    }
    if (src.startsWith('<!DOCTYPE', i) || src.startsWith('<!--', i)) {
      const end = src.startsWith('<!--', i) ? src.indexOf('-->', i) + 3 : src.indexOf('>', i) + 1;
      if (end <= i) throw new Error(`unterminated declaration at ${i}`);
      i = end;
      continue;
    }
    const end = src.indexOf('>', i);
    if (end < 0) throw new Error(`unterminated tag at ${i}`);
    const body = src.slice(i + 1, end);
    i = end + 1;
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      const open = stack.pop()!;
      if (open.name !== name) throw new Error(`</${name}> closes <${open.name}>`);
      continue;
    }
    const selfClosing = body.endsWith('/');
    const m = /^([A-Za-z][\w:-]*)([\s\S]*?)\/?$/.exec(body);
    if (!m) throw new Error(`bad tag <${body}>`);
    const node: XmlNode = { name: m[1]!, attrs: {}, children: [], text: '' };
    const attrRe = /\s+([\w:-]+)="([^"<]*)"/y;
    let rest = m[2]!;
    while (rest.trim().length > 0) {
      attrRe.lastIndex = 0;
      const a = attrRe.exec(rest);
      if (!a) throw new Error(`bad attributes in <${node.name}${m[2]}>`);
      if (a[1]! in node.attrs) throw new Error(`duplicate attribute ${a[1]} in <${node.name}>`);
      node.attrs[a[1]!] = a[2]!;
      rest = rest.slice(attrRe.lastIndex);
    }
    stack.at(-1)!.children.push(node);
    const isVoid = options.html === true && VOID_HTML.has(node.name);
    if (!selfClosing && !isVoid) {
      if (options.html && (node.name === 'style' || node.name === 'script')) {
        const close = src.indexOf(`</${node.name}>`, i);
        node.text = src.slice(i, close);
        i = close + node.name.length + 3;
        continue;
      }
      stack.push(node);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  return root;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(ref: string): string {
  const body = ref.slice(1, -1);
  if (body.startsWith('#x')) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
  if (body.startsWith('#')) return String.fromCodePoint(Number(body.slice(1)));
  return NAMED[body]!;
}

export function findAll(node: XmlNode, name: string, out: XmlNode[] = []): XmlNode[] {
  for (const c of node.children) {
    if (c.name === name) out.push(c);
    findAll(c, name, out);
  }
  return out;
}
