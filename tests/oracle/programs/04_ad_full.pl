% Annotated disjunction whose probabilities sum to 1 (no residual).
0.2::red; 0.3::green; 0.5::blue.
warm :- red.
cool :- green.
cool :- blue.
two_colours :- red, green.
no_colour :- \+ red, \+ green, \+ blue.
query(red).
query(green).
query(blue).
query(warm).
query(cool).
query(two_colours).
query(no_colour).
