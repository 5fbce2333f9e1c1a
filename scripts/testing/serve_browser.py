"""Clicks through `weir serve` in headless Chromium (Debian's chromium and chromedriver, driven
by Selenium): the runs page, a run, a stage's output, its next page. Saves a screenshot of each
page into OUTDIR. Exits non-zero, saying what was missing, when a page is not as expected.

    python serve_browser.py BASE_URL OUTDIR
"""
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main():
    base, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    try:
        def shot(name):
            driver.save_screenshot(os.path.join(out, name + ".png"))

        def expect(condition, what):
            if not condition:
                shot("failure")
                sys.exit(f"{what} (at {driver.current_url}):\n{driver.find_element(By.TAG_NAME, 'body').text[:2000]}")

        driver.get(base + "/")
        expect("shop" in driver.find_element(By.ID, "pipelines").text, "the pipelines page lists 'shop'")
        shot("pipelines")
        driver.find_element(By.LINK_TEXT, "runs").click()
        runs = driver.find_elements(By.CSS_SELECTOR, "#runs a.run")
        expect(len(runs) >= 2, "the runs page lists the runs")
        shot("runs")
        # The newest successful run: its row says ok.
        ok = [row for row in driver.find_elements(By.CSS_SELECTOR, "#runs tr") if " ok " in f" {row.text} "]
        expect(ok, "a run that is ok")
        ok[0].find_element(By.CSS_SELECTOR, "a.run").click()
        expect(driver.find_element(By.TAG_NAME, "h1").text.startswith("Run "), "the run page")
        expect("users" in driver.find_element(By.ID, "stages").text, "the run page lists stage 'users'")
        shot("run")
        driver.find_element(By.CSS_SELECTOR, "#stages a.output[href*='users.out']").click()
        expect("rows 1–50 of 2000" in driver.page_source, "the output explorer's first page")
        first = driver.find_element(By.CSS_SELECTOR, "#rows tr:nth-child(2) td").text
        expect(first == "u0", f"first row u0, got {first!r}")
        shot("output")
        driver.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
        expect("rows 51–100 of 2000" in driver.page_source, "the second page")
        first = driver.find_element(By.CSS_SELECTOR, "#rows tr:nth-child(2) td").text
        expect(first == "u50", f"first row of page 2 u50, got {first!r}")
        shot("output-page-2")
        driver.find_element(By.CSS_SELECTOR, "a[rel=prev]").click()
        expect("rows 1–50 of 2000" in driver.page_source, "back to the first page")
    finally:
        driver.quit()
    print("browser: pipelines -> runs -> run -> output -> next -> previous: ok")


if __name__ == "__main__":
    main()
