"""Test support shared by the lab apps' suites; never copied into an image."""
