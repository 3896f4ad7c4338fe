"""The dashboard server `cxhub serve` starts: it warms this process first,
then runs Streamlit.

Streamlit loads the app's modules and fills its caches only when the first
person connects, so the first visitor used to wait for the imports and the
Overview's queries. Here every page is run once in its default view in this
very process (AppTest: the same modules, the same st.cache_data /
st.cache_resource stores the server's sessions use) before the server
opens its port.
Usage: python -m cxhub.ui.serving APP [streamlit run options...]"""

from __future__ import annotations

import os
import sys
import time


# The pages warmed after the Overview, in their default view (the first
# touchpoint's page stands for the others: they share their queries' shapes).
PAGES = ("app_pages/channel_comparison.py", "app_pages/touchpoint.py", "app_pages/steering_meeting.py",
         "app_pages/joint_priorities.py")


def warm(app: str) -> float:
    """Run the app's pages once in their default view; returns the seconds
    it took. A failure here is reported and does not stop the server (the
    visitor then sees the page's own error)."""
    from streamlit.testing.v1 import AppTest

    from cxhub import settings
    from cxhub.ui import identity

    t0 = time.perf_counter()
    identity.WARMING["on"] = True  # no port is open yet: nobody but this warm-up runs the pages
    # On Spark the first run also builds the rollups: an hour or more on a large lake and a small cluster.
    timeout = 6 * 3600 if os.environ.get(settings.ENGINE_ENV["name"]) == "spark" else 600
    try:
        at = AppTest.from_file(app, default_timeout=timeout).run()
        for page in (None, *PAGES):
            if page:
                at.switch_page(page).run()
            if at.exception:
                print(f"Warm-up: {page or 'the Overview'} failed ({at.exception[0].message}); serving anyway.",
                      file=sys.stderr)
    except Exception as exc:  # the server must still start
        print(f"Warm-up failed ({exc}); serving anyway.", file=sys.stderr)
    finally:
        identity.WARMING["on"] = False
    return time.perf_counter() - t0


def main(argv: list[str]) -> None:
    app, options = argv[0], argv[1:]
    # The options go in before the warm-up reads Streamlit's configuration,
    # so the server starts with the configuration the warm-up saw.
    for flag, value in zip(options[::2], options[1::2]):
        os.environ["STREAMLIT_" + flag.removeprefix("--").replace(".", "_").upper()] = value
    seconds = warm(app)
    print(f"Warmed up in {seconds:.1f} s: every page's default view is ready.", flush=True)  # not a KPI value
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", app]  # the options are in the environment (above)
    streamlit_cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
