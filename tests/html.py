"""What tests read out of rendered pages."""

import re

# A result card's case study slug (cards on a list link back to it with ?from=<the list>).
CARD_LINK = re.compile(r'class="card__title"><a href="/case-studies/([\w-]+)/(?:\?from=[^"]*)?"')
