// The docs' screenshot of the demo's report: `npm start`, then
// `node scripts/report-screenshot.mjs REPORT.html [docs/report.png]` with the path the demo printed. Opens the page in Debian's
// Chromium (as the browser test does) and captures the top of the page at a laptop's width.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [file, png = 'docs/report.png'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/report-screenshot.mjs REPORT.html [docs/report.png] (npm start prints where it wrote the report)');
  process.exit(2);
}
const WIDTH = 1000;
const HEIGHT = 1300;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT } });
  await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: 'load' });
  await page.screenshot({ path: png, clip: { x: 0, y: 0, width: WIDTH, height: HEIGHT } });
  console.log(`${png}: ${WIDTH}×${HEIGHT} of ${file}`);
} finally {
  await browser.close();
}
