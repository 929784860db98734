"""Console accounts: login by username or mobile number, login throttling and security headers."""
