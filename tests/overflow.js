// Opens each URL in headless Chromium (Debian's, through Debian's chromedriver) at a phone's
// width and prints, per page, JSON: the document's width against the viewport's, and every
// site navigation link that does not show whole inside the viewport.
// Usage: NODE_PATH=.checkers/node_modules node tests/overflow.js WIDTH URL...
const { Builder } = require("selenium-webdriver");
const chrome = require("selenium-webdriver/chrome");

async function main() {
  const [width, ...urls] = process.argv.slice(2);
  const options = new chrome.Options()
    .setChromeBinaryPath("/usr/bin/chromium")
    .addArguments("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
      `--window-size=${width},900`);
  const service = new chrome.ServiceBuilder("/usr/bin/chromedriver");
  const driver = await new Builder().forBrowser("chrome").setChromeOptions(options)
    .setChromeService(service).build();
  try {
    // Chromium's window is at least 500 px wide: emulate the phone's viewport instead.
    await driver.sendDevToolsCommand("Emulation.setDeviceMetricsOverride", {
      width: Number(width), height: 844, deviceScaleFactor: 2, mobile: true,
    });
    for (const url of urls) {
      await driver.get(url);
      const result = await driver.executeScript(() => {
        const doc = document.documentElement;
        const hidden = [];
        for (const a of document.querySelectorAll("header.site nav a, header.site nav span")) {
          const r = a.getBoundingClientRect();
          const style = getComputedStyle(a);
          if (r.width === 0 || style.visibility === "hidden" || style.display === "none" ||
              r.left < 0 || r.right > window.innerWidth + 0.5) hidden.push(a.textContent.trim());
        }
        const crumbs = document.querySelector(".breadcrumb");
        return {
          viewport: window.innerWidth,
          scrollWidth: doc.scrollWidth,
          hiddenNav: hidden,
          breadcrumbHeight: crumbs ? crumbs.getBoundingClientRect().height : 0,
        };
      });
      console.log(JSON.stringify({ url, ...result }));
    }
  } finally {
    await driver.quit();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
