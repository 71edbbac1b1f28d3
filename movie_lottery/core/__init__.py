"""What every feature stands on: settings, extensions, models, errors, the input rules, storing,
the same-movie rule and the reel."""
