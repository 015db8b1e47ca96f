"""Web front: one blueprint tree per audience; the trees never import each other."""
