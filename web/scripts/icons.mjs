// Draws the app's PNG icons (public/icon-192.png, icon-512.png and the
// maskable icon-maskable-512.png) from the same shapes as public/favicon.svg:
// a blue rounded square with the white corral fence. No dependencies: the
// shapes are sampled 4×4 per pixel and written as PNG with node:zlib. The
// output is committed; run `node scripts/icons.mjs` after changing the logo.
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BLUE = [0x25, 0x63, 0xeb];
const WHITE = [0xff, 0xff, 0xff];
// the fence, in the favicon's 32×32 units: segments with round caps
const HALF = 1.2;
const SEGS = [
  [8, 9, 8, 23], [14, 9, 14, 23], [20, 9, 20, 23], [26, 9, 26, 23],
  [5, 13, 29, 13], [5, 19, 29, 19],
];

function inRoundRect(x, y, w, r) {
  const cx = Math.min(Math.max(x, r), w - r);
  const cy = Math.min(Math.max(y, r), w - r);
  return x >= 0 && y >= 0 && x <= w && y <= w && (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function onFence(x, y) {
  for (const [x1, y1, x2, y2] of SEGS) {
    const dx = x2 - x1, dy = y2 - y1;
    const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
    if ((x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2 <= HALF * HALF) return true;
  }
  return false;
}

// maskable: a full square, the fence shrunk into the safe zone (the
// central circle of 80 % diameter that every mask keeps)
function draw(size, maskable) {
  const px = Buffer.alloc(size * size * 4);
  const N = 4;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      let bg = 0, fg = 0;
      for (let sj = 0; sj < N; sj++) {
        for (let si = 0; si < N; si++) {
          const u = ((i + (si + 0.5) / N) / size) * 32;
          const v = ((j + (sj + 0.5) / N) / size) * 32;
          const inside = maskable || inRoundRect(u, v, 32, 7);
          if (!inside) continue;
          bg++;
          const k = maskable ? 0.7 : 1;
          if (onFence(16 + (u - 16) / k, 16 + (v - 16) / k)) fg++;
        }
      }
      const o = (j * size + i) * 4;
      const a = bg / (N * N);
      const f = bg ? fg / bg : 0;
      for (let c = 0; c < 3; c++) px[o + c] = Math.round(BLUE[c] * (1 - f) + WHITE[c] * f);
      px[o + 3] = Math.round(a * 255);
    }
  }
  return png(size, px);
}

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(b) {
  let c = -1;
  for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const pub = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
writeFileSync(join(pub, 'icon-192.png'), draw(192, false));
writeFileSync(join(pub, 'icon-512.png'), draw(512, false));
writeFileSync(join(pub, 'icon-maskable-512.png'), draw(512, true));
