"""Reading what the research outputs return, as a user's program would."""

import csv
import io
import json
import re


def body(response) -> bytes:
    """The whole body, streamed or not (consume it inside a query-count block to count it)."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"), newline="")))


def json_data(response) -> dict:
    return json.loads(body(response))


def result_count(response) -> int:
    """The count the HTML list page states (its data-result-count)."""
    return int(re.search(r'data-result-count="(\d+)"', response.content.decode()).group(1))
