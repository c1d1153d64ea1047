"""No number typed by hand into the report's prose (mnist_sgd/report/number_lint.py), and no
comparison stated as a difference when its two numbers print alike (formats.differs_in_print)."""

from __future__ import annotations

from mnist_sgd.report.formats import differs_in_print, fmt_acc, fmt_loss
from mnist_sgd.report.number_lint import ALLOWED, lint, prose, violations


def typed(template: str) -> list[str]:
    """The digits the lint rejects in ``template``, as the text around each."""
    return [v.context for v in violations(template)]


def test_the_report_templates_and_captions_type_no_number(repo_root):
    assert [str(v) for v in lint(repo_root)] == []


def test_a_typed_number_in_prose_is_found_with_its_line_and_column():
    found = violations("<p>Each image has\n{{ pixels }} pixels, and 10 classes.</p>")
    assert [(v.line, v.column) for v in found] == [(2, 26)]
    assert "10 classes" in found[0].context


def test_filled_in_values_statements_comments_tags_and_styles_are_not_prose():
    template = (
        '<style>p { margin: 2mm 0 }</style>{# 42 #}<table id="tab-1" class="w100">'
        "{% if seeds | length > 1 %}{{ n_test }} test images{% endif %}{{ x[:12] }}"
        '{{ "%.1f" | format(gb) }}{% include "sections/sgd.html.j2" %}'
        "<td>{{ r.loss }}</td>L = ‖x‖<sup>2</sup> over x<sub>i</sub></table>"
    )
    assert typed(template) == []
    assert prose("{{ a }}\nb").count("\n") == 1 and len(prose("{{ a }}\nb")) == len("{{ a }}\nb")


def test_strings_passed_to_macros_are_prose():
    assert len(typed('{{ table_caption(num, "t", "the final loss after 500 epochs") }}')) == 1
    assert typed('{{ table_caption(num, "t", "after " ~ s.epochs ~ " epochs") }}') == []


def test_the_allow_list_is_short_and_names_only_notation():
    assert len(ALLOWED) <= 6 and all(reason for reason in ALLOWED.values())
    allowed = "Question 3: the SHA-256 of float32 images in [0, 1], 95 % intervals, lr·λ &gt; 2, see section 2."
    assert typed(allowed) == []
    assert len(typed("Question 7 asks for 0.5, 60,000 images and 784 pixels.")) == 4


def test_numbers_that_print_alike_are_not_a_difference():
    assert not differs_in_print(0.848661, 0.848659)  # both 84.87 %
    assert differs_in_print(0.8486, 0.8489)
    assert not differs_in_print(0.20381, 0.203814, fmt_loss) and differs_in_print(0.2038, 0.2039, fmt_loss)
    assert fmt_acc(0.848661) == fmt_acc(0.848659)
