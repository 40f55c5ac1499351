import json
import os
import unittest

import get_proxy_url

URLS = {
    "us": ["https://us-west1.example", "https://us-central1.example"],
    "us-central1": ["https://us-central1.example"],
    "europe-west1": ["https://europe-west1.example"],
}


class UrlsForZoneTest(unittest.TestCase):
    def test_exact_region_first_then_continent(self):
        self.assertEqual(get_proxy_url.urls_for_zone("us-central1-a", URLS),
                         ["https://us-central1.example", "https://us-west1.example"])

    def test_continent_only(self):
        self.assertEqual(get_proxy_url.urls_for_zone("us-east4-c", URLS),
                         ["https://us-west1.example", "https://us-central1.example"])

    def test_unknown_location(self):
        self.assertEqual(get_proxy_url.urls_for_zone("asia-south1-a", URLS), [])

    def test_invalid_zone(self):
        with self.assertRaises(ValueError):
            get_proxy_url.urls_for_zone("nowhere", URLS)

    def test_shipped_config_covers_us_central1(self):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxy-urls.json")
        with open(path, encoding="utf-8") as f:
            urls = get_proxy_url.urls_for_zone("us-central1-b", json.load(f))
        self.assertEqual(urls[0], "https://datalab-us-central1.cloud.google.com")


if __name__ == "__main__":
    unittest.main()
