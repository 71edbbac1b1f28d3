"""What every request passes through: sign-in, CSRF and security headers, body limits, URL and query
input checks, and the error pages."""
